"""Security headers on every response, HSTS only when the issuer is served over https."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import Response
from fastapi.testclient import TestClient

from api.asgi.middleware import SecurityHeaders


def _client(hsts: bool) -> TestClient:
    app = FastAPI()

    @app.get("/plain")
    def plain() -> Response:
        return Response("ok")

    @app.get("/framed")
    def framed() -> Response:  # a handler's own choice is kept
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN"})

    app.add_middleware(SecurityHeaders, hsts=hsts)
    return TestClient(app)


def test_headers_on_every_response_and_hsts_only_over_https():
    for hsts in (False, True):
        with _client(hsts) as web:
            for _ in range(2):  # the same headers again: nothing is consumed per response
                r = web.get("/plain")
                assert r.headers["x-content-type-options"] == "nosniff"
                assert r.headers["x-frame-options"] == "DENY"
                assert r.headers["referrer-policy"] == "no-referrer"
                assert r.headers["cross-origin-opener-policy"] == "same-origin"
                assert r.headers["content-security-policy"].startswith("default-src 'none'")
                assert ("strict-transport-security" in r.headers) is hsts
            framed = web.get("/framed")
            assert framed.headers.get_list("x-frame-options") == ["SAMEORIGIN"]
