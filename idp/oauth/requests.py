"""Plain request/response values that cross from the web layer into the OAuth server.

Only `api` knows FastAPI; it turns a Starlette request into an `HttpRequest` and an
`HttpResponse` back into a Starlette response, so idp stays testable without HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc6749 import (
    InsecureTransportError,
    JsonPayload,
    JsonRequest,
    OAuth2Payload,
    OAuth2Request,
)
from sqlalchemy.orm import Session

from audit import AuditEvent


class Headers(dict[str, str]):
    """Header names compare case-insensitively, as HTTP says."""

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        super().__init__({k.lower(): v for k, v in (items or {}).items()})

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())


@dataclass
class HttpRequest:
    method: str
    url: str  # as the issuer sees it: issuer base + path + query
    headers: Mapping[str, str]
    query: list[tuple[str, str]] = field(default_factory=list)
    form: list[tuple[str, str]] = field(default_factory=list)
    json: Any = None
    remote_addr: str | None = None


@dataclass
class HttpResponse:
    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def location(self) -> str | None:
        return self.header("Location")

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


@dataclass(frozen=True)
class TokenAnswer:
    """The token endpoint's answer (RFC 6749 §3.2), its transaction already ended."""

    response: HttpResponse
    client_auth_failed: bool  # the limiter counts these
    # Audit rows of a grant whose row follows the commit: the caller commits them before it
    # releases the response.
    deferred: tuple[AuditEvent, ...] = ()


class _Payload(OAuth2Payload):
    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every parameter in the order sent, repeats included."""
        return self._pairs

    @cached_property
    def data(self) -> dict[str, str]:
        # First value wins; grants reject repeated parameters through `datalist`.
        out: dict[str, str] = {}
        for k, v in self._pairs:
            out.setdefault(k, v)
        return out

    @cached_property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for k, v in self._pairs:
            values[k].append(v)
        return values


@lru_cache(maxsize=64)
def _secure(origin: str) -> bool:
    return is_secure_transport(origin)


def check_transport(uri: str) -> None:
    """Authlib's https check (loopback http allowed), on the URI's scheme and host only: our
    request URIs all start with the issuer, so the parse is done once per issuer rather than
    on every request."""
    start = uri.find("://")
    end = uri.find("/", start + 3) if start >= 0 else -1
    if not _secure(uri if end < 0 else uri[:end]):
        raise InsecureTransportError()


class OAuthRequest(OAuth2Request):
    """Authlib's request with the database session of this HTTP request attached."""

    def __init__(self, req: HttpRequest, db: Session | Callable[[], Session]) -> None:
        # What OAuth2Request.__init__ sets (tests/idp/oauth/test_requests.py holds the two
        # together),
        # with its transport check on the issuer alone.
        check_transport(req.url)
        self.method, self.uri, self.headers = req.method, req.url, Headers(req.headers)
        self._body: Any = None
        self.client: Any = None
        self.auth_method: Any = None
        self.user: Any = None
        self.authorization_code: Any = None
        self.refresh_token: Any = None
        self.credential: Any = None
        self._scope: Any = None
        self.http = req
        # A session, or a factory opened on first use (a client_credentials grant never needs
        # one: its client is cached and its audit row goes through the audit writer).
        self._db = db
        self.payload = _Payload(req.query + req.form)
        self._args = dict(req.query)
        self._form = dict(req.form)
        # Set by the server: whether client authentication failed (the limiter counts those),
        # and audit events with no transaction of their own, reported in its TokenAnswer.
        self.client_auth_failed = False
        self.audit_after: list[AuditEvent] = []

    @property
    def db(self) -> Session:
        if not isinstance(self._db, Session):
            self._db = self._db()
        return self._db

    @db.setter
    def db(self, session: Session) -> None:
        self._db = session

    @property
    def opened_db(self) -> Session | None:
        """The session, if one was opened."""
        return self._db if isinstance(self._db, Session) else None

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _JsonPayload(JsonPayload):
    def __init__(self, data: Any) -> None:
        self._data = data

    @property
    def data(self) -> Any:
        return self._data


class OAuthJsonRequest(JsonRequest):
    def __init__(self, req: HttpRequest, db: Session) -> None:
        super().__init__(req.method, req.url, Headers(req.headers))
        self.db = db
        self.payload = _JsonPayload(req.json)
