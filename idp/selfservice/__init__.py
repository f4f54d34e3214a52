"""What citizens do for themselves: the account pages' actions, sign-up, password reset, and the
emails and links these send."""
