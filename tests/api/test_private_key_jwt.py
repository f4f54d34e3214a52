"""private_key_jwt client authentication (RFC 7523 / OIDC Core §9)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from joserfc import jwt
from joserfc.jwk import ECKey

from tests.oidc_rp import register


def assertion(key, client_id, aud="http://localhost:8000/token", jti=None):
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 60,
        "jti": jti or uuid.uuid4().hex,
    }
    return jwt.encode({"alg": "ES256", "kid": "k1"}, claims, key)


def _key() -> tuple[ECKey, dict]:
    """A client's signing key and its public JWK."""
    key = ECKey.generate_key("P-256")
    return key, dict(key.as_dict(private=False), kid="k1", alg="ES256", use="sig")


def _register(services, **keys):
    """A private_key_jwt client whose keys are given as `jwks=` or `jwks_uri=`."""
    return register(
        services,
        grant_types=["client_credentials"],
        scope="profile",
        redirect_uri="https://svc.example/cb",
        token_endpoint_auth_method="private_key_jwt",
        **keys,
    )


def test_private_key_jwt(web, services):
    key, public = _key()
    c = _register(services, jwks={"keys": [public]})
    assert c.secret is None
    typ = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    jti = uuid.uuid4().hex
    ok = web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": typ,
            "client_assertion": assertion(key, c.client_id, jti=jti),
        },
    )
    assert ok.status_code == 200, ok.text
    replay = web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": typ,
            "client_assertion": assertion(key, c.client_id, jti=jti),
        },
    )
    assert replay.status_code in (400, 401) and replay.json()["error"] == "invalid_client"
    other = ECKey.generate_key("P-256")
    forged = web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": typ,
            "client_assertion": assertion(other, c.client_id),
        },
    )
    assert forged.json()["error"] == "invalid_client"
    wrong_aud = web.post(
        "/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": typ,
            "client_assertion": assertion(key, c.client_id, aud="https://else"),
        },
    )
    assert wrong_aud.json()["error"] == "invalid_client"


def test_a_slow_jwks_uri_does_not_hold_up_other_requests(web, services):
    """private_key_jwt fetches the client's jwks_uri: that must not run on the event loop,
    where it would stall every other request until the client's server answered."""
    key, public = _key()
    asked, release = threading.Event(), threading.Event()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.set()
            release.wait(10)
            body = json.dumps({"keys": [public]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        c = _register(services, jwks_uri=f"http://127.0.0.1:{server.server_address[1]}/jwks")
        done: list[int] = []
        data = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion(key, c.client_id),
        }
        slow = threading.Thread(
            target=lambda: done.append(web.post("/token", data=data).status_code)
        )
        slow.start()
        assert asked.wait(10)
        assert web.get("/.well-known/openid-configuration").status_code == 200
        assert not done  # answered while the token request still waits for the jwks
        release.set()
        slow.join(10)
        assert done == [200]
    finally:
        release.set()
        server.shutdown()
        server.server_close()
