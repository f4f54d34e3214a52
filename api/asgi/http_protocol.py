"""uvicorn's httptools protocol, with a bounded request head and a response sent in one write.

**The request head** (request line and header fields) is bounded as its bytes arrive, before
any application code runs, as node's http server and nginx bound theirs: uvicorn has no such
limit for httptools (its `h11_max_incomplete_event_size` is h11's only), and httptools keeps a
header field that has not ended in memory without telling its protocol. So a head that is
still open after a read is measured in the bytes read (exactly, from its first byte), and a
head that ends within a read by its parts, as the parser hands them over (never more than its
wire size). Over `max_header_bytes` it gets 431 Request Header Fields Too Large (RFC 6585),
or 414 URI Too Long while still in its request line; with more than `max_headers` fields,
431; the connection is then closed. Each parser callback does O(1) more work; a read that ends
inside a head costs one scan of that read.

**The response**: ASGI sends a response as two messages, and uvicorn writes each to the socket
as it comes: the status line and headers, then the body, two `write` calls and two TCP
segments for every response, each delivered to the client's socket and each able to wake it.
Held for the rest of the event loop's turn, the writes of one turn go out as one (node's http
server does the same when a response ends in one call). Measured on the token endpoint: see
docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, cast

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from api.errors import PROBLEM_BASE

if TYPE_CHECKING:
    from api.settings import Settings


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


@dataclass(frozen=True)
class HeadLimits:
    """How large a request head may be: all its bytes, and how many header fields."""

    max_bytes: int
    max_fields: int


def http_protocol(settings: Settings) -> type[asyncio.Protocol]:
    """The protocol `satupintu serve` hands uvicorn, with the limits of these settings.

    uvicorn makes one protocol per connection by calling `Config.http` with keyword arguments
    (`config`, `server_state`, `app_state`, `_loop`: uvicorn/server.py) when it is not the
    name of a class; a partial adds the limits to those. It is picklable, as a worker of
    `--workers N`, started by spawn, needs it to be. (Typed as uvicorn types the parameter.)"""
    limits = HeadLimits(settings.max_header_bytes, settings.max_headers)
    return cast(
        "type[asyncio.Protocol]", functools.partial(CoalescingHttpToolsProtocol, limits=limits)
    )


class _HeadTooLarge(Exception):
    """Raised in a parser callback, to stop the parser: the status the request is refused with."""

    def __init__(self, status: int) -> None:
        self.status = status


# The smallest request line, "GET " + the URL + " HTTP/1.1\r\n", and the blank line after the
# fields; a field takes at least its name, ":", its value (without leading spaces) and "\r\n".
_FIXED_BYTES = len("GET  HTTP/1.1\r\n\r\n")
_FIELD_BYTES = len(":\r\n")

_REFUSALS = {
    431: ("request_header_fields_too_large", "The request's header fields are too large."),
    414: ("uri_too_long", "The request line is too long."),
}


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, limits: HeadLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_bytes = limits.max_bytes
        self._max_fields = limits.max_fields
        # The head being read: open (until its fields end); whether it began in this read;
        # its bytes read so far while open after a read (exact), and whether they hold the end
        # of its request line; the sizes of the parts the parser has handed over, and their count.
        self._head_open = self._began = self._line_read = self._refused = False
        self._open_bytes = self._part_bytes = self._fields = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        real = cast(asyncio.Transport, transport)
        super().connection_made(cast(asyncio.Transport, _CoalescingTransport(real, self.loop)))

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with a refusal of its own and a look at a head left open by this read."""
        if self._refused:
            return  # the rest of a refused request, until its connection closes
        self._unset_keepalive_if_required()
        self._began = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadTooLarge):
                self._refuse(exc.__context__.status)
            else:
                self._invalid()
            return
        except httptools.HttpParserError:
            self._invalid()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._head_open:
            self._measure_open_head(data)

    def _measure_open_head(self, data: bytes) -> None:
        """A head is still open after this read: count its bytes, all of them read so far.

        A head that began in this read began after the last blank line in it, if any (a head
        holds none until it ends): everything after that line is counted, which is exact unless
        part of an earlier request's body came after it in the same read."""
        if self._began:
            blank = data.rfind(b"\r\n\r\n")
            start = blank + 4 if blank >= 0 else 0
            self._open_bytes = len(data) - start
            self._line_read = data.find(b"\n", start) >= 0
        else:
            self._open_bytes += len(data)
            self._line_read = self._line_read or b"\n" in data
        if self._open_bytes > self._max_bytes:
            self._refuse(431 if self._line_read else 414)

    def _invalid(self) -> None:
        msg = "Invalid HTTP request received."
        self.logger.warning(msg)
        self.send_400_response(msg)

    # Parser callbacks: the parts of a head as the parser hands them over.
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_open = self._began = True
        self._part_bytes = _FIXED_BYTES
        self._fields = 0

    def on_url(self, url: bytes) -> None:
        self._part_bytes += len(url)
        if self._part_bytes > self._max_bytes:
            raise _HeadTooLarge(414)
        HttpToolsProtocol.on_url(self, url)

    def on_header(self, name: bytes, value: bytes) -> None:
        # Also a chunked body's trailer fields, which count towards the same limits.
        self._part_bytes += len(name) + len(value) + _FIELD_BYTES
        self._fields += 1
        if self._part_bytes > self._max_bytes or self._fields > self._max_fields:
            raise _HeadTooLarge(431)
        HttpToolsProtocol.on_header(self, name, value)  # not super(): ~0.1 µs less per field

    def on_headers_complete(self) -> None:
        self._head_open = False
        super().on_headers_complete()

    def _refuse(self, status: int) -> None:
        """Answer `status` and close. Behind an earlier request whose response is still to
        come (pipelined), let that response finish and close after it instead, as uvicorn's
        graceful shutdown does; in the trailer fields of a request whose body is still being
        read, the request cannot end: close at once, its application sees a disconnect."""
        self._refused = True
        kind, detail = _REFUSALS[status]
        self.logger.warning("Request head refused with %d: %s", status, detail)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.more_body:
                self.transport.close()
            else:
                cycle.keep_alive = False
            return
        problem = {"type": PROBLEM_BASE + kind, "title": HTTPStatus(status).phrase}
        body = json.dumps({**problem, "status": status, "detail": detail}).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/problem+json\r\n",
            b"content-length: ",
            str(len(body)).encode(),
            b"\r\n",
            b"cache-control: no-store\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(head))
        self.transport.close()
