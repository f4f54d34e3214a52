"""OpenID Connect on top of the OAuth 2.0 server: id_tokens, claims, discovery, logout."""
