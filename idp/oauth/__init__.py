"""OAuth 2.0 (RFC 6749 and its extensions): clients and their registration, tokens, keys, grants,
introspection and revocation. It never imports `idp.oidc`, which builds on it."""
