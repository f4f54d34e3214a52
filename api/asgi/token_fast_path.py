"""Token requests the server can inline (client_credentials) answered straight from ASGI.

A regional back end asks for a client_credentials token on every API call it makes, and for
that request FastAPI's routing, request object and exception machinery cost about as much as the
grant itself (`make bench`, docs/benchmarks.md). This middleware reads such a request straight
from the ASGI scope and answers it with the same `token_response` the router uses, when the
server says it can inline the grant (`OpenIDProvider.can_inline`); every other request goes on
untouched (a token request of another grant with its body replayed). It sits inside the
security-header, body-limit and server-error middlewares, so they apply here as everywhere.
"""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.adapter import BadForm, form_body
from api.errors import oauth_unavailable
from api.services import Services
from api.token_endpoint import token_response
from idp.oauth.requests import HttpRequest
from vault import KeyUnavailable


class TokenFastPath:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.svc = app, services
        self._url = services.settings.issuer_base + "/token"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/token"
            or scope["method"] != "POST"
            or scope["query_string"]
        ):
            await self.app(scope, receive, send)
            return
        body = await _body(receive)
        if body is None:
            return  # the client went away before its request arrived
        req = self._inlinable(scope, body)
        if req is None:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            response = await token_response(self.svc, req)
        except (OperationalError, KeyUnavailable):
            response = oauth_unavailable()
        await response(scope, receive, send)

    def _inlinable(self, scope: Scope, body: bytes) -> HttpRequest | None:
        """The request as idp sees it when it is a form post of a grant the server can inline;
        None for anything else (the router answers it, errors included)."""
        # ASGI header names are lower-case; as in Starlette, the last of a repeated one wins.
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            form = form_body(headers.get("content-type", ""), body)
        except BadForm:
            return None
        can_inline = self.svc.server.can_inline
        for name, value in form:
            if name == "grant_type" and can_inline(value):
                break
        else:
            return None
        client = scope.get("client")
        return HttpRequest(
            "POST", self._url, headers, form=form, remote_addr=client[0] if client else None
        )


async def _body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
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
