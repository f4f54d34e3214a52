"""client_credentials token requests answered straight from ASGI.

A regional back end asks for a client_credentials token on every API call it makes, and for
that request FastAPI's routing, request object and exception machinery cost about as much as the
grant itself (`make bench`, docs/benchmarks.md). This middleware answers those requests with the
same `token_response` the router uses and hands every other request on untouched (a token
request of another grant with its body replayed). It sits inside the security-header, body-limit
and server-error middlewares, so they apply here as everywhere.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.adapter import BadForm, parse_form
from api.errors import oauth_unavailable
from api.services import Services
from api.token_endpoint import token_response
from idp.http import HttpRequest
from vault import KeyUnavailable

FORM = "application/x-www-form-urlencoded"


class TokenFastPath:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.svc = app, services
        self.url = services.settings.issuer_base + "/token"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/token" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        req = self._client_credentials(scope, body)
        if req is None:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            response = await token_response(self.svc, req)
        except (OperationalError, KeyUnavailable):
            response = oauth_unavailable()
        await response(scope, receive, send)

    def _client_credentials(self, scope: Scope, body: bytes) -> HttpRequest | None:
        """The request as idp sees it when it is a plain client_credentials form post; None
        for anything else (the router answers it, errors included)."""
        if scope.get("query_string"):
            return None
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
            return None
        try:
            form = parse_form(body)
        except BadForm:
            return None
        if ("grant_type", "client_credentials") not in form:
            return None
        client = scope.get("client")
        return HttpRequest(
            method="POST",
            url=self.url,
            headers=headers,
            query=[],
            form=form,
            json=None,
            remote_addr=client[0] if client else None,
        )


async def _read_body(receive: Receive) -> bytes:
    # BodyLimit, outside this middleware, already stops bodies over its limit.
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
