"""Dynamic Client Registration (RFC 7591), allowed only with an operator-issued initial access
token (single-use by default, short-lived, stored hashed)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

from authlib.oauth2.rfc6749 import OAuth2Error
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock, epoch
from idp.errors import InvalidInput, InvalidMetadata
from idp.oauth.client_metadata import check_metadata_types
from idp.oauth.clients import Client, ClientRegistry
from idp.oauth.models import InitialAccessToken
from idp.secrets import new_secret, secret_hash
from storage import UnitOfWork

REGISTRABLE = (
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "token_endpoint_auth_method",
    "scope",
    "id_token_signed_response_alg",
    "id_token_scope_claims",
    "subject_type",
    "backchannel_logout_uri",
    "sector_identifier_uri",
    "jwks",
    "jwks_uri",
    "client_uri",
    "logo_uri",
    "contacts",
)


_DESCRIPTION_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\')


class RegistrationError(OAuth2Error):
    """An RFC 7591 §3.2.2 error response (invalid_redirect_uri, invalid_client_metadata), or
    RFC 6750's invalid_token for a missing or spent initial access token."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        # error_description is ASCII without '"' or '\\' (RFC 6749 §5.2, RFC 7591 §3.2.2): a
        # URI or name quoted in it is percent-encoded where it holds anything else.
        wire = quote(description, safe=_DESCRIPTION_SAFE)
        super().__init__(description=wire, status_code=status, error=error)
        self.status = status


class Registration:
    def __init__(
        self, db: sessionmaker[Session], clients: ClientRegistry, audit: AuditSink, clock: Clock
    ) -> None:
        self._db, self._clients, self._audit, self._clock = db, clients, audit, clock

    def issue_initial_token(
        self, *, org_id: str | None, uses: int = 1, ttl: timedelta = timedelta(days=1)
    ) -> str:
        token = new_secret()
        now = self._clock()
        with self._db.begin() as s:
            s.add(
                InitialAccessToken(
                    token_hash=secret_hash(token),
                    org_id=org_id,
                    created_at=now,
                    expires_at=now + ttl,
                    uses_left=uses,
                )
            )
            self._audit.record(
                AuditEvent("client.initial_token", actor="operator", org_id=org_id),
                work=UnitOfWork.of(s),
            )
        return token

    def register(self, token: str | None, body: Any) -> tuple[Client, str | None]:
        if not isinstance(body, dict):
            raise RegistrationError("invalid_client_metadata", "body must be a JSON object")
        digest = secret_hash(token) if token else None
        org_id = self._spend_use(digest)
        meta = {k: body[k] for k in REGISTRABLE if k in body}
        name = body.get("client_name") or "Unnamed client"
        try:
            check_metadata_types({**meta, "client_name": name})
            return self._clients.create(
                name=name,
                metadata=meta,
                org_id=org_id,
                public=meta.get("token_endpoint_auth_method") == "none",
                actor="registration",
            )
        except InvalidInput as exc:
            self._give_back_use(digest)
            named = "redirect_uri" in str(exc) and not isinstance(exc, InvalidMetadata)
            code = "invalid_redirect_uri" if named else "invalid_client_metadata"
            raise RegistrationError(code, str(exc)) from exc
        except BaseException:
            self._give_back_use(digest)
            raise

    def _spend_use(self, digest: str | None) -> str | None:
        """Take one use of the initial access token, atomically (a single-use token cannot
        register two clients in parallel); returns its organisation. The use is given back
        when the registration then fails."""
        now = self._clock()
        with self._db.begin() as s:
            taken = (
                s.execute(
                    update(InitialAccessToken)
                    .where(
                        InitialAccessToken.token_hash == digest,
                        InitialAccessToken.uses_left > 0,
                        InitialAccessToken.expires_at > now,
                    )
                    .values(uses_left=InitialAccessToken.uses_left - 1)
                    .returning(InitialAccessToken.org_id)
                ).first()
                if digest
                else None
            )
            if taken is None:  # audited in the transaction, which is committed, not undone
                self._audit.record(
                    AuditEvent("client.register", Outcome.DENIED), work=UnitOfWork.of(s)
                )
        if taken is None:
            raise RegistrationError(
                "invalid_token", "a valid initial access token is required", 401
            )
        return str(taken[0]) if taken[0] is not None else None

    def _give_back_use(self, digest: str | None) -> None:
        with self._db.begin() as s:
            s.execute(
                update(InitialAccessToken)
                .where(InitialAccessToken.token_hash == digest)
                .values(uses_left=InitialAccessToken.uses_left + 1)
            )

    def response(self, client: Client, secret: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "client_id": client.client_id,
            "client_name": client.name,
            "client_id_issued_at": epoch(self._clock()),
            **client.metadata,
        }
        if secret:
            out["client_secret"] = secret
            out["client_secret_expires_at"] = 0
        return out
