"""HTTP/1.1 over a raw socket, for what a client library would not send: heads of any size,
sent whole, in pieces or pipelined, and responses read to their end and no further."""

from __future__ import annotations

import select
import socket


def head(size: int | None = None, fields: int = 1, path: str = "/healthz") -> bytes:
    """A GET head with `fields` header fields (a Host, short ones, and with `size` a last one
    padded so that the head's wire size, blank line included, is exactly `size` bytes)."""
    text = f"GET {path} HTTP/1.1\r\nHost: t\r\n"
    text += "".join(f"X-{n}: v\r\n" for n in range(fields - 1 - (size is not None)))
    if size is not None:
        assert fields >= 2
        text += "X-Pad: " + "a" * (size - len(text) - len("X-Pad: \r\n\r\n")) + "\r\n"
    out = (text + "\r\n").encode()
    assert size is None or len(out) == size
    return out


def connect(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def send(s: socket.socket, data: bytes) -> bool:
    """Send what the server will take: False once it has stopped reading and closed."""
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return False
    return True


def response(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response, read to its end and no further (a pipelined next one stays unread)."""
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        byte = s.recv(1)
        assert byte, f"connection closed before a response: {data!r}"
        data += byte
    status_line, *lines = data.decode("latin-1").strip().split("\r\n")
    fields = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    body = b""
    while len(body) < int(fields["content-length"]):
        chunk = s.recv(int(fields["content-length"]) - len(body))
        assert chunk, "connection closed inside the body"
        body += chunk
    return int(status_line.split()[1]), fields, body


def closed(s: socket.socket, wait: float = 2.0) -> bool:
    """Whether the server closes the connection within `wait` seconds."""
    if not select.select([s], [], [], wait)[0]:
        return False
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True


def exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    with connect(port) as s:
        send(s, data)
        status, fields, body = response(s)
        return status, fields, body, closed(s, wait=0.2 if status == 200 else 2.0)
