"""OAuth/OIDC clients (the regional apps): registration, lookup, and Authlib's ClientMixin.

Client secrets are 256-bit random values shown once and stored only as a SHA-256 hash.
Lookups are cached for a few seconds at most, so a deleted client stops working on every
worker within `cache_ttl`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import ClientMixin, scope_to_list
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock
from idp.errors import InvalidInput, NotFound
from idp.oauth.admin_access import ADMIN_ROLES, AdminRole
from idp.oauth.client_metadata import (
    OPERATOR_FIELDS,
    SECRET_METHODS,
    checked_role,
    normalise_metadata,
)
from idp.oauth.client_uris import CHECKED, ClientUriCheck, Warn
from idp.oauth.models import ClientRecord
from idp.oauth.scopes import ADMIN_SCOPE, PRIVILEGED, within
from idp.secrets import new_identifier, new_secret, same_text, secret_hash, secret_matches
from storage import UnitOfWork

_CLIENT_ID = re.compile(r"[\x20-\x7e]+")


@dataclass(frozen=True)
class Client(ClientMixin):
    client_id: str
    name: str
    org_id: str | None
    secret_hash: str | None
    metadata: dict[str, Any] = field(default_factory=dict)

    # -- metadata accessors -------------------------------------------------------------------
    @property
    def client_metadata(self) -> dict[str, Any]:  # the name Authlib's endpoints read
        return self.metadata

    def _list(self, key: str) -> list[str]:
        return list(self.metadata.get(key) or [])

    @property
    def redirect_uris(self) -> list[str]:
        return self._list("redirect_uris")

    @property
    def post_logout_redirect_uris(self) -> list[str]:
        return self._list("post_logout_redirect_uris")

    @property
    def grant_types(self) -> list[str]:
        return self._list("grant_types")

    @property
    def scope(self) -> str:
        return str(self.metadata.get("scope") or "")

    @property
    def admin_role(self) -> AdminRole | None:
        role = self.metadata.get("admin_role")
        return role if role in ADMIN_ROLES else None

    @cached_property
    def _user_scopes(self) -> frozenset[str]:
        # Privileged scopes never come from the registered `scope`, even in a row written
        # before they stopped being registrable.
        return frozenset(scope_to_list(self.scope) or []) - frozenset(PRIVILEGED)

    def scopes_held(self, *, for_user: bool) -> frozenset[str]:
        """What a token of this client may carry: the registered scopes, and when the client
        acts for itself (no user) the scopes of its operator-granted role."""
        if for_user or self.admin_role is None:
            return self._user_scopes
        return self._user_scopes | {ADMIN_SCOPE}

    @property
    def token_endpoint_auth_method(self) -> str:
        return str(self.metadata.get("token_endpoint_auth_method", "client_secret_basic"))

    @property
    def is_public(self) -> bool:
        return self.token_endpoint_auth_method == "none"

    @property
    def id_token_signed_response_alg(self) -> str:
        return str(self.metadata.get("id_token_signed_response_alg") or "RS256")

    @property
    def id_token_scope_claims(self) -> bool:
        """The claims of the granted scopes go in the id_token too, not only to userinfo."""
        return self.metadata.get("id_token_scope_claims") is True

    @property
    def subject_type(self) -> str:
        return str(self.metadata.get("subject_type") or "public")

    @property
    def backchannel_logout_uri(self) -> str | None:
        return self.metadata.get("backchannel_logout_uri")

    @property
    def sector_identifier(self) -> str:
        """Host that pairwise subjects are computed for (OIDC Core §8.1)."""
        sector = self.metadata.get("sector_identifier_uri")
        if sector:
            return urlsplit(sector).hostname or sector
        hosts = {urlsplit(u).hostname for u in self.redirect_uris}
        only = hosts.pop() if len(hosts) == 1 else None
        return only or self.client_id

    # -- Authlib ClientMixin ------------------------------------------------------------------
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str) -> str:
        """What Authlib's authorization grant keeps of a user's request (RFC 6749 §3.3)."""
        return within(scope, self.scopes_held(for_user=True))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string matching (RFC 9700 §2.1): no prefixes, no wildcards.
        return any(same_text(redirect_uri, u) for u in self.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        registered = self.token_endpoint_auth_method
        if registered in SECRET_METHODS:
            return method in SECRET_METHODS
        return method == registered

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types


def _client(rec: ClientRecord) -> Client:
    return Client(
        client_id=rec.client_id,
        name=rec.name,
        org_id=rec.org_id,
        secret_hash=rec.client_secret_hash,
        metadata=dict(rec.client_metadata or {}),
    )


class ClientRegistry:
    def __init__(
        self,
        db: sessionmaker[Session],
        audit: AuditSink,
        clock: Clock,
        cache_ttl: float = 5.0,
        *,
        uris: ClientUriCheck,
    ) -> None:
        self._db, self._audit, self._clock = db, audit, clock
        self._uris = uris
        self._ttl = cache_ttl
        self._cache: dict[str, tuple[float, Client | None]] = {}
        self._lock = threading.Lock()

    def create(
        self,
        *,
        name: str,
        metadata: dict[str, Any],
        org_id: str | None = None,
        public: bool = False,
        actor: str = "operator",
        skip_consent: bool = False,
        admin_role: AdminRole | None = None,
        warn: Warn | None = None,
    ) -> tuple[Client, str | None]:
        """Register a client; returns it with its secret (None for public clients).

        `skip_consent` marks a first-party app run by the operator, `admin_role` an operator's
        client of the admin API. They are keywords of their own, never read from `metadata`,
        so a self-registered client cannot grant them to itself. `warn` hears what is accepted
        but may not work yet (a host that does not resolve)."""
        name = name.strip()
        if not 1 <= len(name) <= 200:
            raise InvalidInput("client name must be 1-200 characters")
        meta = normalise_metadata(metadata, public=public)
        self._check_uris("client.create", meta, meta, actor, org_id, warn)
        if skip_consent:
            meta["skip_consent"] = True
        if admin_role is not None:
            meta["admin_role"] = checked_role(admin_role, meta, org_id)
        needs_secret = meta["token_endpoint_auth_method"] in SECRET_METHODS
        secret = new_secret() if needs_secret else None
        rec = ClientRecord(
            client_id=new_identifier(),
            client_secret_hash=secret_hash(secret) if secret else None,
            org_id=org_id,
            name=name,
            client_metadata=meta,
            created_at=self._clock(),
        )
        with self._db.begin() as s:
            s.add(rec)
            self._audit.record(
                AuditEvent("client.create", actor=actor, client_id=rec.client_id, org_id=org_id),
                work=UnitOfWork.of(s),
            )
        return _client(rec), secret

    def _check_uris(
        self,
        action: str,
        meta: dict[str, Any],
        changed: Collection[str],
        actor: str,
        org_id: str | None,
        warn: Warn | None,
    ) -> None:
        """The URIs this server will call, checked outside any transaction (they resolve
        names and may fetch); a refusal is audited: it can be someone probing the network."""
        try:
            self._uris.check(meta, changed=changed, warn=warn)
        except InvalidInput as exc:
            event = AuditEvent(
                action,
                Outcome.DENIED,
                actor=actor,
                org_id=org_id,
                detail={"reason": str(exc)[:200]},
            )
            self._audit.record(event)
            raise

    def get(self, client_id: str | None) -> Client | None:
        if not client_id or len(client_id) > 64 or not _CLIENT_ID.fullmatch(client_id):
            return None  # client-id is *VSCHAR (RFC 6749 Appendix A); NUL PostgreSQL refuses
        hit = self._fresh(client_id)
        if hit is not None:
            return hit[1]
        now = time.monotonic()
        with self._db() as s:
            rec = s.get(ClientRecord, client_id)
            client = _client(rec) if rec else None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[client_id] = (now, client)
        return client

    def _fresh(self, client_id: str) -> tuple[float, Client | None] | None:
        """The cached lookup of `client_id` while it is younger than the cache's ttl."""
        with self._lock:
            hit = self._cache.get(client_id)
        return hit if hit is not None and time.monotonic() - hit[0] < self._ttl else None

    def is_cached(self, client_id: str | None) -> bool:
        """Whether `get` would answer from memory, without the database."""
        return client_id is not None and self._fresh(client_id) is not None

    def require(self, client_id: str) -> Client:
        client = self.get(client_id)
        if client is None:
            raise NotFound(f"no client {client_id!r}")
        return client

    def list(self, org_id: str | None = None) -> list[Client]:
        with self._db() as s:
            stmt = select(ClientRecord).order_by(ClientRecord.created_at)
            if org_id:
                stmt = stmt.where(ClientRecord.org_id == org_id)
            return [_client(r) for r in s.scalars(stmt)]

    def update(self, client_id: str, changes: dict[str, Any], *, actor: str = "operator") -> Client:
        if any(key in changes for key in CHECKED):  # rows as they are stay readable
            current = self.require(client_id)
            merged = {**current.metadata, **changes}
            meta = normalise_metadata(
                merged, public=merged.get("token_endpoint_auth_method") == "none"
            )
            self._check_uris("client.update", meta, changes, actor, current.org_id, None)
        with self._db.begin() as s:
            rec = s.get(ClientRecord, client_id)
            if rec is None:
                raise NotFound(f"no client {client_id!r}")
            stored = dict(rec.client_metadata or {})
            merged = {**stored, **changes}
            public = merged.get("token_endpoint_auth_method") == "none"
            meta = normalise_metadata(merged, public=public)
            meta.update({k: stored[k] for k in OPERATOR_FIELDS if k in stored})
            rec.client_metadata = meta
            self._audit.record(
                AuditEvent(
                    "client.update",
                    actor=actor,
                    client_id=client_id,
                    org_id=rec.org_id,
                    detail={"fields": sorted(changes)},
                ),
                work=UnitOfWork.of(s),
            )
            client = _client(rec)
        self._forget(client_id)
        return client

    def set_admin_role(
        self, client_id: str, role: AdminRole | None, *, actor: str = "operator"
    ) -> Client:
        """Grant (or with None take away) the client's administrator role: an operator's act."""
        with self._db.begin() as s:
            rec = s.get(ClientRecord, client_id)
            if rec is None:
                raise NotFound(f"no client {client_id!r}")
            meta = dict(rec.client_metadata or {})
            meta.pop("admin_role", None)
            if role is not None:
                meta["admin_role"] = checked_role(role, meta, rec.org_id)
            rec.client_metadata = meta
            self._audit.record(
                AuditEvent(
                    "client.admin_role",
                    actor=actor,
                    client_id=client_id,
                    org_id=rec.org_id,
                    detail={"role": role},
                ),
                work=UnitOfWork.of(s),
            )
            client = _client(rec)
        self._forget(client_id)
        return client

    def delete(self, client_id: str, *, actor: str = "operator") -> None:
        with self._db.begin() as s:
            rec = s.get(ClientRecord, client_id)
            if rec is None:
                raise NotFound(f"no client {client_id!r}")
            s.delete(rec)
            self._audit.record(
                AuditEvent("client.delete", actor=actor, client_id=client_id, org_id=rec.org_id),
                work=UnitOfWork.of(s),
            )
        self._forget(client_id)

    def _forget(self, client_id: str) -> None:
        with self._lock:
            self._cache.pop(client_id, None)
