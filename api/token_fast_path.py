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
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.adapter import BadForm, to_http_request
from api.errors import oauth_unavailable
from api.services import Services
from api.token_endpoint import token_response
from idp.http import HttpRequest
from vault import KeyUnavailable


class TokenFastPath:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.svc = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/token" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        req = await self._client_credentials(request)
        if req is None:
            await self.app(scope, _replay(await request.body(), receive), send)
            return
        try:
            response = await token_response(self.svc, req)
        except (OperationalError, KeyUnavailable):
            response = oauth_unavailable()
        await response(scope, receive, send)

    async def _client_credentials(self, request: Request) -> HttpRequest | None:
        """The request as idp sees it when it is a plain client_credentials form post; None
        for anything else (the router answers it, errors included)."""
        if request.url.query:
            return None
        try:
            req = await to_http_request(request, self.svc.settings.issuer_base)
        except BadForm:
            return None
        return req if ("grant_type", "client_credentials") in req.form else None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
