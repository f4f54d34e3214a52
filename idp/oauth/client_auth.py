"""private_key_jwt client authentication (OIDC Core §9, RFC 7523 §2.2): the client signs an
assertion with a key it registered (`jwks`) or publishes (`jwks_uri`), each `jti` accepted once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from idp.oauth.clients import Client
from idp.oauth.context import ServerContext
from idp.oauth.models import UsedAssertion
from idp.outbound import OutboundRefused
from idp.secrets import secret_hash


class PrivateKeyJWT(JWTBearerClientAssertion):
    """private_key_jwt client authentication (OIDC Core §9, RFC 7523)."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, ctx: ServerContext) -> None:
        super().__init__(validate_jti=True, leeway=30)
        self.ctx = ctx

    def get_audiences(self) -> list[str]:
        return [self.ctx.issuer, f"{self.ctx.issuer}/token"]

    def validate_jti(self, claims: Any, jti: str) -> bool:
        exp = claims.get("exp")
        expires = datetime.fromtimestamp(exp, UTC) if isinstance(exp, int) else self.ctx.clock()
        try:
            with self.ctx.db.begin() as s:
                s.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < self.ctx.clock()))
                s.add(
                    UsedAssertion(
                        jti_hash=secret_hash(f"{claims['sub']}:{jti}"), expires_at=expires
                    )
                )
        except IntegrityError:
            return False
        return True

    def resolve_client_public_key(self, client: Client) -> KeySet:
        """The client's registered `jwks`, or what its `jwks_uri` serves; invalid_client when
        it has none, the jwks_uri cannot be read, or what it holds are not keys."""
        jwks = client.metadata.get("jwks")
        if jwks is None and client.metadata.get("jwks_uri"):
            try:
                jwks = self.ctx.outbound.get_json(client.metadata["jwks_uri"])
            except OutboundRefused as exc:
                raise InvalidClientError(
                    description="The client's jwks_uri cannot be read."
                ) from exc
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(keys, list) or not keys:
            raise InvalidClientError(description="The client has no public keys.")
        try:
            return KeySet.import_key_set({"keys": keys})
        except (JoseError, ValueError, TypeError, KeyError) as exc:  # what joserfc raises
            raise InvalidClientError(description="The client's public keys are invalid.") from exc
