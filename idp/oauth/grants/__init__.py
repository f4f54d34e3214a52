"""OAuth 2.0 grants, each a subclass of Authlib's with our storage plugged in."""
