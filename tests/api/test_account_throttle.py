"""429 with Retry-After on the machine endpoints: token (client authentication), admin API,
dynamic client registration."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.services import build_services
from tests.oidc_rp import register


@pytest.fixture
def strict(settings, clock):
    svc = build_services(
        settings.model_copy(update={"ip_failure_limit": 4, "ip_failure_window": 600}), clock=clock
    )
    svc.keys.ensure()
    with TestClient(create_app(svc.settings, svc), base_url="http://localhost:8000") as web:
        yield web, svc
    svc.close()


def client_credentials(web, client_id, secret):
    return web.post("/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret))


def test_token_endpoint_slows_bad_client_secrets(web, services, clock):
    c = register(services, grant_types=["client_credentials"], scope="openid")
    other = register(services, grant_types=["client_credentials"], scope="openid")
    for _ in range(5):
        assert client_credentials(web, c.client_id, "salah").status_code == 401
    r = client_credentials(web, c.client_id, "salah")
    assert r.status_code == 429 and r.headers["retry-after"] == "1"
    assert r.json()["error"] == "temporarily_unavailable"
    # Whoever sends bad secrets under an app's (public) client_id cannot lock the app out.
    assert client_credentials(web, c.client_id, c.secret).status_code == 200
    assert client_credentials(web, other.client_id, other.secret).status_code == 200
    clock.advance(1)
    assert client_credentials(web, c.client_id, "salah").status_code == 401
    assert client_credentials(web, c.client_id, "salah").status_code == 429
    assert services.audit.recent(type_prefix="client.auth")


def test_admin_api_answers_429_after_repeated_bad_tokens(strict, clock):
    web, _svc = strict
    for _ in range(4):
        r = web.get("/api/v1/orgs", headers={"Authorization": "Bearer tebakan"})
        assert r.status_code == 401
    r = web.get("/api/v1/orgs", headers={"Authorization": "Bearer tebakan"})
    assert r.status_code == 429 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("/too_many_requests")
    assert 590 <= int(r.headers["retry-after"]) <= 600
    clock.advance(600)
    assert web.get("/api/v1/orgs", headers={"Authorization": "Bearer x"}).status_code == 401


def test_client_registration_answers_429_after_bad_initial_tokens(strict):
    web, _svc = strict
    body = {"redirect_uris": ["https://app.example/cb"]}
    for _ in range(4):
        r = web.post("/register", json=body, headers={"Authorization": "Bearer tebakan"})
        assert r.status_code == 401
    r = web.post("/register", json=body, headers={"Authorization": "Bearer tebakan"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 500


def test_per_ip_request_cap_on_password_forgot(settings, clock):
    svc = build_services(
        settings.model_copy(update={"ip_request_limit": 3, "ip_request_window": 60}), clock=clock
    )
    svc.keys.ensure()
    with TestClient(create_app(svc.settings, svc), base_url="http://localhost:8000") as web:
        forgot = {"login": "x"}
        codes = [web.post("/password/forgot", data=forgot).status_code for _ in range(4)]
        assert codes[3] == 429 and 429 not in codes[:3]
        clock.advance(60)
        assert web.post("/password/forgot", data=forgot).status_code != 429
    svc.close()
