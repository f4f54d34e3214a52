"""Second factors (TOTP, recovery codes, WebAuthn passkeys) and the rules that ask for them."""
