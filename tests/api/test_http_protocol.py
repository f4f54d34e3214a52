"""The served protocol sends a response's head and body in one write, and loses nothing."""

from __future__ import annotations

import asyncio
import socket

from api.asgi.http_protocol import _CoalescingTransport, http_protocol
from api.settings import Settings


class Recorded:
    """What reached the real transport: each write as one item, and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_extra_info(self, name: str) -> str:
        return f"extra:{name}"


def test_the_writes_of_one_turn_go_out_as_one_in_order() -> None:
    async def scenario() -> Recorded:
        real = Recorded()
        t = _CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
        t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        t.write(b"{}")
        assert real.writes == []  # held until the turn ends
        await asyncio.sleep(0)
        t.write(b"next")
        await asyncio.sleep(0)
        assert t.get_extra_info("peername") == "extra:peername"
        return real

    real = asyncio.run(scenario())
    assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}", b"next"]


def test_close_sends_what_is_held_and_abort_drops_it() -> None:
    async def scenario() -> tuple[Recorded, Recorded]:
        loop = asyncio.get_running_loop()
        closed, aborted = Recorded(), Recorded()
        a = _CoalescingTransport(closed, loop)  # type: ignore[arg-type]
        a.write(b"last words")
        a.close()
        b = _CoalescingTransport(aborted, loop)  # type: ignore[arg-type]
        b.write(b"never sent")
        b.abort()
        await asyncio.sleep(0)
        return closed, aborted

    closed, aborted = asyncio.run(scenario())
    assert closed.writes == [b"last words"] and closed.closed
    assert aborted.writes == [] and aborted.aborted


def test_a_live_server_answers_through_it() -> None:
    """`satupintu serve`'s protocol over a real socket: a full response, keep-alive kept."""
    import uvicorn

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return
        body = b"hello " + scope["path"].encode()
        length = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": length})
        await send({"type": "http.response.body", "body": body})

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        http=http_protocol(Settings()),
        lifespan="off",
        log_level="warning",
    )

    async def scenario() -> list[bytes]:
        server = uvicorn.Server(config)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection(*sock.getsockname())
        answers = []
        for path in ("/a", "/b"):  # two requests on one connection
            writer.write(f"GET {path} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            answers.append(head.split(b"\r\n")[0] + b" " + await reader.readexactly(length))
        writer.close()
        server.should_exit = True
        await task
        return answers

    assert asyncio.run(scenario()) == [b"HTTP/1.1 200 OK hello /a", b"HTTP/1.1 200 OK hello /b"]
