"""The served protocol refuses an oversized request head as its bytes arrive (431, or 414 for a
request line that is too long), before any application code runs, and closes the connection;
heads within the limits, bodies and keep-alive are served as before. Over raw sockets against a
real uvicorn server with the protocol `satupintu serve` uses, built from the settings."""

from __future__ import annotations

import json
import pickle
import select
import socket
import threading
from collections.abc import Iterator

import pytest
import uvicorn

from api.asgi.http_protocol import HeadLimits, http_protocol
from api.settings import Settings
from tests.raw_http import closed, connect, exchange, head, response, send

LIMIT = 16 * 1024  # the defaults
FIELDS = 100
PIECE = 1024


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    """Answers every request with its path, its header count and its body's length."""
    if scope["type"] != "http":
        return
    length, more = 0, True
    while more:
        message = await receive()
        length += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = f"{scope['path']} {len(scope['headers'])} {length}".encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    settings = Settings(max_header_bytes=LIMIT, max_headers=FIELDS)
    config = uvicorn.Config(app, http=http_protocol(settings), lifespan="off", log_level="critical")
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)


def test_a_200_kb_header_gets_431_and_the_connection_is_closed(port: int) -> None:
    big = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    status, fields, body, gone = exchange(port, big)
    assert status == 431 and gone
    assert fields["connection"] == "close"
    assert fields["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 431
    assert problem["type"] == "https://satupintu.go.id/problems/request_header_fields_too_large"


def test_5000_small_headers_get_431(port: int) -> None:
    status, _, _, gone = exchange(port, head(fields=5000))
    assert status == 431 and gone


def test_one_field_more_than_the_cap_gets_431_though_the_head_is_small(port: int) -> None:
    data = head(fields=FIELDS + 1)
    assert len(data) < 2000
    status, _, _, gone = exchange(port, data)
    assert status == 431 and gone


def test_a_head_just_within_both_limits_is_served(port: int) -> None:
    status, _, body, gone = exchange(port, head(size=LIMIT, fields=FIELDS))
    assert status == 200 and not gone
    assert body == f"/healthz {FIELDS} 0".encode()


def test_a_head_a_little_over_the_byte_limit_gets_431(port: int) -> None:
    status, _, _, gone = exchange(port, head(size=LIMIT + 200, fields=10))
    assert status == 431 and gone


def test_a_long_uri_gets_414(port: int) -> None:
    status, _, body, gone = exchange(port, head(path="/" + "a" * 20_000))
    assert status == 414 and gone
    assert json.loads(body)["type"] == "https://satupintu.go.id/problems/uri_too_long"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ", 431),  # one header that never ends
        (b"GET /", 414),  # a request line that never ends
    ],
    ids=["header", "uri"],
)
def test_a_head_sent_slowly_is_refused_once_it_crosses_the_limit(
    port: int, start: bytes, expected: int
) -> None:
    """Refused as the bytes arrive, without waiting for an end of the head that never comes."""
    with connect(port) as s:
        assert send(s, start)
        sent = len(start)
        answered = False
        while sent < 4 * LIMIT and not answered:
            if not send(s, b"a" * PIECE):
                break
            sent += PIECE
            answered = bool(select.select([s], [], [], 0.02)[0])
        assert sent <= LIMIT + 4 * PIECE, f"no answer after {sent} bytes of head"
        status, _, _ = response(s)
        assert status == expected and closed(s)


def test_keep_alive_serves_request_after_request_each_measured_alone(port: int) -> None:
    """Three heads of 12 KiB (36 KiB in all) on one connection, a body in between: each is
    measured from its own first byte, and the body is not part of any head."""
    with connect(port) as s:
        for n in range(3):
            assert send(s, head(size=12 * 1024, fields=20, path=f"/{n}"))
            assert response(s)[::2] == (200, f"/{n} 20 0".encode())
        body = b"x" * 100_000
        assert send(s, b"POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n" + body)
        assert response(s)[2] == b"/b 2 100000"
        assert send(s, head())
        assert response(s)[0] == 200
        assert not closed(s, wait=0.05)


def test_a_pipelined_head_is_measured_from_its_own_start(port: int) -> None:
    """A 12 KiB request and the first 6 KiB of the next in one write: 18 KiB arrive while a
    head is open, but that head is 6 KiB so far, and 12 KiB once complete."""
    first, second = (head(size=12 * 1024, fields=2, path=f"/{n}") for n in (1, 2))
    with connect(port) as s:
        assert send(s, first + second[: 6 * 1024])
        select.select([], [], [], 0.05)
        assert send(s, second[6 * 1024 :])
        assert response(s)[2] == b"/1 2 0"
        assert response(s)[2] == b"/2 2 0"


def test_a_refused_head_behind_a_pipelined_request_lets_its_response_finish(port: int) -> None:
    """The earlier request's response is not cut into: it comes whole, then the close."""
    with connect(port) as s:
        send(s, head(path="/first") + head(size=2 * LIMIT, fields=2))
        status, fields, body = response(s)
        assert (status, body) == (200, b"/first 1 0") and fields["connection"] == "close"
        assert closed(s)


def test_too_many_trailer_fields_close_the_connection_without_an_answer(port: int) -> None:
    """A chunked body's trailer fields count towards the same limits; the request is under
    way by then, so its connection is closed with no answer (the application sees it go)."""
    trailers = "".join(f"X-{n}: v\r\n" for n in range(FIELDS + 1)).encode()
    with connect(port) as s:
        start = b"POST /t HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        assert send(s, start)
        assert send(s, b"0\r\n" + trailers + b"\r\n")
        assert closed(s)


def test_the_protocol_carries_its_settings_to_spawned_workers() -> None:
    """uvicorn pickles its config for each worker of `--workers N`: the limits go with it."""
    factory = http_protocol(Settings(max_header_bytes=4096, max_headers=20))
    again = pickle.loads(pickle.dumps(factory))
    limits = HeadLimits(max_bytes=4096, max_fields=20)
    assert getattr(again, "keywords", None) == {"limits": limits}
