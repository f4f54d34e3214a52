"""uvicorn's httptools protocol, with a response's head and body sent in one write.

ASGI sends a response as two messages, and uvicorn writes each to the socket as it comes: the
status line and headers, then the body, two `write` calls and two TCP segments for every
response, each delivered to the client's socket and each able to wake it. Held for the rest of
the event loop's turn, the writes of one turn go out as one (node's http server does the same
when a response ends in one call). Measured on the token endpoint: see docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _CoalescingTransport:
    """A transport whose writes in one turn of the event loop reach the socket as one write.

    Everything but writing and closing is the real transport's; closing sends what is held
    first, so nothing written before a close is lost."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def _flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            if data and not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._held.clear()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        real = cast(asyncio.Transport, transport)
        super().connection_made(cast(asyncio.Transport, _CoalescingTransport(real, self.loop)))
