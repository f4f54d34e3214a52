"""Requests sent to the application as raw ASGI messages: query strings, header values and
bodies exactly as given, bytes a high-level client would clean (percent-encode, refuse or
re-encode) included. What the application answers is read back as a whole."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

# A Python exception's name or a traceback's frame line, shown to whoever sent the request.
LEAK = re.compile(
    rb"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+|\b\w+(Error|Exception)\b"
)


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    raised: BaseException | None = field(default=None, repr=False)
    sent: tuple[Any, ...] = ()  # method, path, query, headers, body: to reproduce a failure

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.decode("latin-1").lower() == name:
                return v.decode("latin-1")
        return None

    @property
    def media(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip()

    def json(self) -> Any:
        return json.loads(self.body)

    def describe(self) -> str:
        return (
            f"{self.status} {self.media} {self.body[:300]!r} raised={self.raised!r}"
            f" for {self.sent!r}"
        )


async def _call(app: Any, scope: dict[str, Any], body: bytes) -> Answer:
    answer = Answer(0, [], b"")
    chunks: list[bytes] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception as exc:  # the server-error middleware re-raises once it has answered
        answer.raised = exc
        answer.status = answer.status or 500
    answer.body = b"".join(chunks)
    return answer


def request(
    web: Any,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: bytes = b"",
) -> Answer:
    """Send one request through `web` (a started TestClient: its event loop and its app)."""
    raw_headers = [(b"host", b"localhost:8000"), *(headers or [])]
    if body and not any(k.lower() == b"content-length" for k, _ in raw_headers):
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in raw_headers],
        "client": ("127.0.0.1", 50123),
        "server": ("localhost", 8000),
        "state": {},
    }
    answer: Answer = web.portal.call(_call, web.app, scope, body)
    answer.sent = (method, path, query, raw_headers, body)
    return answer
