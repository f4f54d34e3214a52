"""OpenID Connect on top of the OAuth 2.0 wing: the provider, the authorization endpoint and its
interactions, id_tokens, claims, discovery and logout."""
