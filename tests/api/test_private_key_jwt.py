"""private_key_jwt client authentication (RFC 7523 / OIDC Core §9)."""

from __future__ import annotations

import time
import uuid

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


def test_private_key_jwt(web, services):
    key = ECKey.generate_key("P-256")
    public = dict(key.as_dict(private=False), kid="k1", alg="ES256", use="sig")
    c = register(
        services,
        grant_types=["client_credentials"],
        scope="profile",
        redirect_uri="https://svc.example/cb",
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [public]},
    )
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
