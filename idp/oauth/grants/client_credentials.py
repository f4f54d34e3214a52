"""Client credentials grant (RFC 6749 §4.4): a regional app acting for itself."""

from __future__ import annotations

from authlib.oauth2.rfc6749 import InvalidScopeError, grants

from idp.oauth.scopes import exceeds


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]
    # Nothing but its audit row is written for this grant, so that row may follow the answer's
    # (empty) transaction: the caller commits it, grouped with others, before it releases the
    # token, and may answer on its own thread (OpenIDProvider.can_inline).
    AUDIT_FOLLOWS_COMMIT = True

    def validate_requested_scope(self) -> None:
        """RFC 6749 §3.3: only scopes the client holds. Authlib checks the server's supported
        scopes; asking beyond the registration is refused rather than narrowed, so that a
        client learns at once that it lacks what it asked for."""
        super().validate_requested_scope()
        held = self.request.client.scopes_held(for_user=False)
        beyond = exceeds(self.request.payload.scope, held)
        if beyond:
            raise InvalidScopeError(f"The client is not registered for {' '.join(beyond)}.")
