"""Security headers on every response, a cap on request bodies, and query strings made the
ASCII a browser sends."""

from __future__ import annotations

import re
from urllib.parse import quote_from_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; "
    "script-src 'self'; connect-src 'self'; "  # passkey.js: navigator.credentials + fetch
    "frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        self.app = app
        # Built once: every response gets them (unless the handler set its own).
        self._extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"content-security-policy", CSP.encode()),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if hsts:
            self._extra.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.extend(h for h in self._extra if h[0] not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """413 for bodies over MAX_BODY, by declared length or by what actually arrives."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for k, v in scope.get("headers", []):
            if k == b"content-length" and v.isdigit() and int(v) > self.limit:
                await _too_large(send)
                return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:
            await _too_large(send)


class BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"error":"invalid_request","error_description":"request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# Bytes a query string may hold as they are: printable ASCII (what a browser sends).
_QUERY_SAFE = bytes(range(0x21, 0x7F)).decode()
_NOT_QUERY_SAFE = re.compile(rb"[^\x21-\x7e]")


class AsciiQuery:
    """Percent-encodes every byte of a query string outside printable ASCII, as a browser
    (the WHATWG URL parser) does before sending one. Starlette decodes the query string as
    strict UTF-8 wherever `request.url` is read, so invalid UTF-8 there raised
    UnicodeDecodeError; percent-encoded, it reaches the form parser, which replaces it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"") if scope["type"] == "http" else b""
        if query and _NOT_QUERY_SAFE.search(query):
            scope = dict(scope, query_string=quote_from_bytes(query, _QUERY_SAFE).encode())
        await self.app(scope, receive, send)
