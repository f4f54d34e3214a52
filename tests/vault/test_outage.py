"""Stop OpenBao mid-traffic, start it again: the 503s are clean, nothing is lost or corrupted,
and the running app recovers without a restart. A real server with file storage is stopped
(SIGTERM) and started again, then unsealed, as an operator would."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from idp.accounts.models import User
from tests.api.test_admin_and_registration import admin_token
from tests.oidc_rp import code_flow, register
from vault.keystore import SubjectKey

pytestmark = pytest.mark.slow


@pytest.fixture
def transit_settings(settings, persistent_bao):
    return settings.model_copy(
        update={
            "vault_addr": persistent_bao.addr,
            "vault_token": persistent_bao.token,
            "dek_cache_ttl": 0.0,  # every request needs the key service, like a cold worker
        }
    )


@pytest.fixture
def outage_web(transit_settings, clock):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.services import build_services

    svc = build_services(transit_settings, clock=clock)
    app = create_app(transit_settings, svc)
    with TestClient(app, base_url="http://localhost:8000", follow_redirects=False) as client:
        yield client, svc
    svc.close()


def _counts(svc) -> tuple[int, int]:
    with svc.db() as s:
        users = s.scalar(select(func.count()).select_from(User))
        keys = s.scalar(select(func.count()).select_from(SubjectKey))
    return int(users or 0), int(keys or 0)


def test_openbao_stopped_then_started(outage_web, persistent_bao):
    web, svc = outage_web
    h = {"Authorization": f"Bearer {admin_token(web, svc)}"}
    made = web.post(
        "/api/v1/users",
        json={"username": "ani", "password": "rahasia-sekali-1", "email": "ani@example.id"},
        headers=h,
    )
    assert made.status_code == 201, made.text
    rp = register(svc, redirect_uri="https://simpus.example/cb")
    before = _counts(svc)

    persistent_bao.stop()
    created = web.post(
        "/api/v1/users",
        json={"username": "joko", "password": "rahasia-sekali-1", "email": "joko@example.id"},
        headers=h,
    )
    assert created.status_code == 503
    assert created.headers["content-type"] == "application/problem+json"
    assert created.json()["title"] == "Service unavailable"
    page = web.get(
        "/login", headers={"Accept": "text/html", "Accept-Language": "id"}
    )  # the form itself needs no key
    assert page.status_code == 200
    from tests.oidc_rp import login

    resp = web.get(
        f"/authorize?response_type=code&client_id={rp.client_id}"
        f"&redirect_uri={rp.redirect_uri}&scope=openid&code_challenge=x"
        + "x" * 42
        + "&code_challenge_method=S256",
        headers={"Accept": "text/html"},
    )
    failed = login(web, resp.headers["location"], "ani@example.id", "rahasia-sekali-1")
    assert failed.status_code == 503
    assert "text/html" in failed.headers["content-type"]
    assert "Layanan sedang tidak tersedia" in failed.text
    assert web.get("/.well-known/openid-configuration").status_code == 200
    jwks = web.get("/jwks.json")
    assert jwks.status_code == 200 and len(jwks.json()["keys"]) >= 3
    assert _counts(svc) == before  # no half-written user, no orphan data key

    persistent_bao.start(unseal=False)  # up but sealed: still a clean 503
    sealed = web.post(
        "/api/v1/users", json={"username": "joko", "password": "rahasia-sekali-1"}, headers=h
    )
    assert sealed.status_code == 503
    persistent_bao.unseal()

    again = web.post(
        "/api/v1/users",
        json={"username": "joko", "password": "rahasia-sekali-1", "email": "joko@example.id"},
        headers=h,
    )
    assert again.status_code == 201, again.text
    params, _, _ = code_flow(web, rp, "ani@example.id", "rahasia-sekali-1")
    assert "code" in params
    ani = svc.users.resolve("ani@example.id")
    assert svc.users.profile(ani).email == "ani@example.id"
    assert _counts(svc) == (before[0] + 1, before[1] + 1)
