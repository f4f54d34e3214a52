"""A tiny HTTP server standing in for a regional app: its back-channel logout endpoint records
what is POSTed to it, and every page a browser is sent to (the redirect URI) is recorded and
answered with a small page, or with the document set for that path in `documents` (a
sector_identifier_uri's JSON, say)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class Receiver:
    def __init__(self, status: int = 200, port: int = 0) -> None:
        self.status = status
        self.received: list[dict[str, str]] = []
        self.visited: list[str] = []
        self.documents: dict[str, tuple[int, bytes]] = {}  # path -> (status, JSON body)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = parse_qs(self.rfile.read(length).decode())
                outer.received.append({k: v[0] for k, v in body.items()})
                self.send_response(outer.status)
                self.end_headers()

            def do_GET(self) -> None:
                outer.visited.append(f"{outer.origin}{self.path}")
                page = b"<!doctype html><title>Aplikasi daerah</title><h1>Aplikasi daerah</h1>"
                status, ctype = 200, "text/html; charset=utf-8"
                if self.path in outer.documents:
                    (status, page), ctype = outer.documents[self.path], "application/json"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.origin}/backchannel-logout"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
