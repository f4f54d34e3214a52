"""Access tokens as RFC 9068 JWTs (`typ: at+jwt`), opaque refresh tokens stored hashed, and
the checks every resource endpoint applies to a presented access token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from idp.clock import Clock, aware, epoch
from idp.errors import IdpError
from idp.oauth.clients import Client
from idp.oauth.keys import InvalidSignature, KeyRing
from idp.oauth.models import Grant, RefreshToken, RevokedAccessToken
from idp.oauth.principal import Principal
from idp.oauth.scopes import within
from idp.oauth.subjects import SubjectMapper
from idp.secrets import new_secret, secret_hash

ACCESS_TOKEN_TYP = "at+jwt"


class InvalidToken(IdpError):
    """The presented token is malformed, expired, revoked or not ours (RFC 6750 §3.1)."""

    code = "invalid_token"


@dataclass(frozen=True)
class AccessClaims:
    claims: dict[str, Any]
    # Our internal user id, from the token's grant: never in the token itself, where a pairwise
    # client's `sub` would be undone by it.
    user_id: str | None = None

    @property
    def jti(self) -> str:
        return str(self.claims["jti"])

    @property
    def client_id(self) -> str:
        return str(self.claims["client_id"])

    @property
    def scopes(self) -> set[str]:
        return set(str(self.claims.get("scope", "")).split())


class TokenService:
    def __init__(
        self,
        db: sessionmaker[Session],
        keys: KeyRing,
        subjects: SubjectMapper,
        clock: Clock,
        *,
        issuer: str,
        access_ttl: int,
        refresh_ttl: int,
    ) -> None:
        self._db, self._keys, self._subjects, self._clock = db, keys, subjects, clock
        self.issuer = issuer
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    # -- Authlib token generator protocol -----------------------------------------------------
    def __call__(
        self,
        grant_type: str,
        client: Client,
        user: Principal | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        ttl = expires_in or self.access_ttl
        # Whatever the grant, a token carries only what the client holds (RFC 6749 §3.3).
        scope = within(scope, client.scopes_held(for_user=user is not None))
        token: dict[str, Any] = {
            "token_type": "Bearer",
            "access_token": self.access_token(client, user, scope or "", ttl),
            "expires_in": ttl,
        }
        if scope:
            token["scope"] = scope
        if include_refresh_token and user is not None and _wants_refresh(client, scope):
            token["refresh_token"] = new_secret()
        return token

    def access_token(self, client: Client, user: Principal | None, scope: str, ttl: int) -> str:
        now = epoch(self._clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "exp": now + ttl,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "client_id": client.client_id,
            "aud": client.client_id,
            "scope": scope,
        }
        if user is None:
            claims["sub"] = client.client_id  # RFC 9068 §2.2: the client acts for itself
        else:
            claims["sub"] = self._subjects.for_client(client, user.user_id)
            claims["auth_time"] = user.auth_time
            if user.acr:
                claims["acr"] = user.acr
            if user.amr:
                claims["amr"] = user.amr
            if user.sid:
                claims["sid"] = self._subjects.sid_for(client, user.sid)
            if user.grant_id:
                claims["gid"] = user.grant_id
        return self._keys.sign(claims, "RS256", typ=ACCESS_TOKEN_TYP)

    # -- refresh tokens -----------------------------------------------------------------------
    def store_refresh_token(
        self, s: Session, token: str, client: Client, user: Principal, scope: str
    ) -> None:
        now = self._clock()
        assert user.grant_id is not None
        s.add(
            RefreshToken(
                token_hash=secret_hash(token),
                grant_id=user.grant_id,
                client_id=client.client_id,
                user_id=user.user_id,
                scope=scope,
                auth_time=user.auth_time,
                acr=user.acr,
                amr=user.amr,
                sid=user.sid,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.refresh_ttl),
            )
        )

    # -- validation ---------------------------------------------------------------------------
    def verify_access_token(self, token: str) -> AccessClaims:
        try:
            claims = self._keys.verify(token)
        except InvalidSignature as exc:
            raise InvalidToken("signature") from exc
        if claims.pop("_header", {}).get("typ", "").lower() != ACCESS_TOKEN_TYP:
            raise InvalidToken("not an access token")
        if claims.get("iss") != self.issuer or "jti" not in claims or "client_id" not in claims:
            raise InvalidToken("claims")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= epoch(self._clock()):
            raise InvalidToken("expired")
        user_id = None
        with self._db() as s:
            if s.get(RevokedAccessToken, str(claims["jti"])) is not None:
                raise InvalidToken("revoked")
            gid = claims.get("gid")
            if gid:
                grant = s.get(Grant, gid)
                if grant is None or grant.revoked_at is not None:
                    raise InvalidToken("grant revoked")
                user_id = grant.user_id
        return AccessClaims(claims, user_id)

    def revoke_access_token(self, claims: AccessClaims) -> None:
        exp = datetime.fromtimestamp(int(claims.claims["exp"]), tz=self._clock().tzinfo)
        try:
            with self._db.begin() as s:
                s.add(RevokedAccessToken(jti=claims.jti, expires_at=exp))
        except IntegrityError:
            pass  # already revoked

    def refresh_token_row(self, s: Session, token: str) -> RefreshToken | None:
        if not token or len(token) > 256:
            return None
        return s.get(RefreshToken, secret_hash(token))

    def revoke_grant(self, s: Session, grant_id: str, reason: str) -> None:
        """Revoke a grant and every refresh token in it; its access tokens fail introspection."""
        now = self._clock()
        s.execute(
            update(Grant)
            .where(Grant.id == grant_id, Grant.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason)
        )
        s.execute(
            update(RefreshToken)
            .where(RefreshToken.grant_id == grant_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    def grant_active(self, s: Session, grant_id: str) -> bool:
        grant = s.get(Grant, grant_id)
        return grant is not None and grant.revoked_at is None

    def grants_for_user(self, user_id: str) -> list[Grant]:
        with self._db() as s:
            return list(
                s.scalars(
                    select(Grant)
                    .where(Grant.user_id == user_id, Grant.revoked_at.is_(None))
                    .order_by(Grant.created_at)
                )
            )


def _wants_refresh(client: Client, scope: str | None) -> bool:
    """Refresh tokens only with offline_access, or when the client's policy asks for them."""
    scopes = set((scope or "").split())
    return "offline_access" in scopes or bool(client.metadata.get("refresh_without_offline_access"))


def refresh_expired(row: RefreshToken, now: datetime) -> bool:
    return aware(row.expires_at) <= now
