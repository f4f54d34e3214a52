"""Transit authentication against a real OpenBao: AppRole end to end, renewal of a short-lived
token, AppRole re-login once it is past renewal, and a clean 503 for a dead plain token.

Renewal decisions follow the injected clock (tests move it); the server-side expiry of a token
is real, so two tests wait a few seconds for it (pinned to SQLite: the database plays no part).
"""

from __future__ import annotations

import secrets
import time

import hvac
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import build_services
from tests.api.test_admin_and_registration import admin_token
from tests.oidc_rp import code_flow, login, register
from tests.openbao import Bao

pytestmark = pytest.mark.slow

POLICY = """
path "transit/*" { capabilities = ["create", "read", "update"] }
"""


def _policy(bao: Bao) -> str:
    name = f"satupintu-{secrets.token_hex(4)}"
    bao.api("PUT", f"sys/policies/acl/{name}", {"policy": POLICY})
    return name


def _approle(bao: Bao, **token: object) -> tuple[str, str]:
    """A fresh AppRole role allowed to use transit; returns (role_id, secret_id)."""
    if "approle/" not in bao.api("GET", "sys/auth")["data"]:
        bao.api("POST", "sys/auth/approle", {"type": "approle"})
    role = f"r{secrets.token_hex(4)}"
    bao.api("POST", f"auth/approle/role/{role}", {"token_policies": [_policy(bao)], **token})
    role_id = bao.api("GET", f"auth/approle/role/{role}/role-id")["data"]["role_id"]
    secret_id = bao.api("POST", f"auth/approle/role/{role}/secret-id")["data"]["secret_id"]
    return role_id, secret_id


def _lookup(bao: Bao, token: str) -> dict:
    return bao.api("POST", "auth/token/lookup", {"token": token})["data"]


def _app(settings, clock):
    svc = build_services(settings, clock=clock)
    svc.keys.ensure()
    return svc, TestClient(create_app(settings, svc), base_url="http://localhost:8000")


def test_approle_end_to_end(settings, clock, openbao):
    role_id, secret_id = _approle(openbao, token_ttl="1h")
    cfg = settings.model_copy(
        update={
            "vault_addr": openbao.addr,
            "vault_role_id": role_id,
            "vault_secret_id": secret_id,
            "vault_key": openbao.fresh_key(),
        }
    )
    svc, web = _app(cfg, clock)
    with web:
        web.follow_redirects = False
        token = svc.provider._client.token
        assert token and _lookup(openbao, token)["path"].startswith("auth/approle/login")
        svc.users.create(username="wulan", password="rahasia-sekali-1", email="wulan@example.id")
        rp = register(svc, redirect_uri="https://simpus.example/cb")
        params, _, _ = code_flow(web, rp, "wulan@example.id", "rahasia-sekali-1")
        assert "code" in params
    svc.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_short_token_is_renewed_then_replaced_by_approle_login(settings, clock, openbao):
    role_id, secret_id = _approle(openbao, token_ttl="3s", token_max_ttl="4s")
    cfg = settings.model_copy(
        update={
            "vault_addr": openbao.addr,
            "vault_role_id": role_id,
            "vault_secret_id": secret_id,
            "vault_key": openbao.fresh_key(),
            "dek_cache_ttl": 0.0,  # every call below needs Transit
        }
    )
    svc = build_services(cfg, clock=clock)
    try:
        first = svc.provider._client.token
        issued = time.monotonic()
        svc.users.create(username="yuni", password="rahasia-sekali-1", email="yuni@example.id")
        assert "last_renewal_time" not in _lookup(openbao, first)

        clock.advance(2.5)  # past two thirds of the 3 s TTL: the next call renews
        assert svc.users.authenticate("yuni@example.id", "rahasia-sekali-1")
        assert svc.provider._client.token == first
        assert _lookup(openbao, first).get("last_renewal_time")

        time.sleep(max(0.0, 4.3 - (time.monotonic() - issued)))  # past the real max TTL
        clock.advance(10)
        assert svc.users.authenticate("yuni@example.id", "rahasia-sekali-1")  # re-login
        second = svc.provider._client.token
        assert second and second != first

        # Revoked under us before renewal is due: the 403 triggers a login and one retry.
        openbao.api("POST", "auth/token/revoke", {"token": second})
        assert svc.users.authenticate("yuni@example.id", "rahasia-sekali-1")
        assert svc.provider._client.token not in (first, second)
    finally:
        svc.close()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("death", ["revoked", "expired"])
def test_dead_plain_token_gives_clean_503(settings, clock, openbao, death):
    child = openbao.api(
        "POST",
        "auth/token/create",
        {"policies": [_policy(openbao)], "ttl": "3s", "explicit_max_ttl": "3s"},
    )["auth"]["client_token"]
    created = time.monotonic()
    cfg = settings.model_copy(
        update={
            "vault_addr": openbao.addr,
            "vault_token": child,
            "vault_key": openbao.fresh_key(),
            "dek_cache_ttl": 0.0,
        }
    )
    svc, web = _app(cfg, clock)
    with web:
        web.follow_redirects = False
        h = {"Authorization": f"Bearer {admin_token(web, svc)}"}
        ok = web.post(
            "/api/v1/users",
            json={"username": "ani", "password": "rahasia-sekali-1", "email": "ani@example.id"},
            headers=h,
        )
        assert ok.status_code == 201, ok.text
        if death == "revoked":
            hvac.Client(url=openbao.addr, token=child).auth.token.revoke_self()
        else:
            time.sleep(max(0.0, 3.3 - (time.monotonic() - created)))
            clock.advance(3)
        made = web.post(
            "/api/v1/users",
            json={"username": "budi", "password": "rahasia-sekali-1", "email": "b@example.id"},
            headers=h,
        )
        assert made.status_code == 503, made.text
        assert made.headers["content-type"] == "application/problem+json"
        rp = register(svc, redirect_uri="https://simpus.example/cb")
        start = web.get(
            f"/authorize?response_type=code&client_id={rp.client_id}"
            f"&redirect_uri={rp.redirect_uri}&scope=openid&code_challenge={'x' * 43}"
            "&code_challenge_method=S256",
            headers={"Accept": "text/html"},
        )
        page = login(web, start.headers["location"], "ani@example.id", "rahasia-sekali-1")
        assert page.status_code == 503 and "Layanan sedang tidak tersedia" in page.text
        assert web.get("/jwks.json").status_code == 200
    svc.close()
