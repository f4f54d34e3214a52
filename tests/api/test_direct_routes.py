"""`POST /login` answered around the router (api/asgi/direct_routes.py) behaves as the routed page
did: the same sign-in, the same friendly pages for failures and outages, the app's own
exception handlers, and the route still in the schema."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.oidc_rp import authorize_url, csrf_of, follow_to_client, login, pkce, register

PASSWORD = "kata-sandi-rahasia"


def _post_login(web, password: str = PASSWORD):
    token = csrf_of(web.get("/login").text)
    return web.post("/login", data={"csrf_token": token, "username": "sari", "password": password})


def test_signing_in_sets_the_session_and_carries_the_security_headers(web, services):
    services.users.create(username="sari", password=PASSWORD)
    r = _post_login(web)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert r.headers["x-frame-options"] == "DENY"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(services.settings.cookie_name + "=") and "HttpOnly" in cookie
    assert web.get("/").status_code == 200  # the session works on the next page
    wrong = _post_login(web, "salah-sandi-nya")
    assert wrong.status_code == 401 and "text/html" in wrong.headers["content-type"]


# SQLite reports the missing table below as OperationalError, what an outage raises.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_outage_during_sign_in_gets_the_apps_friendly_page(web, services):
    services.users.create(username="sari", password=PASSWORD)
    token = csrf_of(web.get("/login").text)
    with services.engine.begin() as conn:
        conn.execute(text("ALTER TABLE idp_sso_sessions RENAME TO idp_sso_sessions_away"))
    try:
        r = web.post("/login", data={"csrf_token": token, "username": "sari", "password": PASSWORD})
    finally:
        with services.engine.begin() as conn:
            conn.execute(text("ALTER TABLE idp_sso_sessions_away RENAME TO idp_sso_sessions"))
    assert r.status_code == 503 and "text/html" in r.headers["content-type"]
    assert "temporarily_unavailable" in r.text
    assert services.settings.cookie_name not in r.headers.get("set-cookie", "")  # no session
    assert r.headers["x-content-type-options"] == "nosniff"
    assert _post_login(web).status_code == 303  # and it recovers


def test_an_error_without_a_handler_is_a_plain_500(app, services, monkeypatch):
    services.users.create(username="sari", password=PASSWORD)

    def broken(*_args: object) -> None:
        raise LookupError("a bug, not an outage")

    monkeypatch.setattr(services.password_login, "attempt", broken)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as web:
        r = _post_login(web)
    assert r.status_code == 500 and "LookupError" not in r.text and "bug" not in r.text


def test_the_login_route_is_still_in_the_schema(web):
    assert "post" in web.get("/api/v1/openapi.json").json()["paths"]["/login"]


def test_an_apps_sign_in_page_keeps_its_language_and_name_after_a_wrong_password(web, services):
    services.users.create(username="sari", password=PASSWORD)
    c = register(services, name="Layanan Perizinan")
    url, _ = authorize_url(c, challenge=pkce()[1], ui_locales="en")
    to_login = web.get(url).headers["location"]
    wrong = login(web, to_login, "sari", "salah-sandi-nya")
    assert wrong.status_code == 401
    assert '<html lang="en"' in wrong.text and "password is wrong" in wrong.text
    assert "Layanan Perizinan" in wrong.text
    right = login(web, to_login, "sari", PASSWORD)
    assert right.status_code == 303
    assert right.headers["location"].startswith("/authorize/resume?interaction=")
    assert "code" in follow_to_client(web, right)


def test_the_direct_routes_are_those_declared_on_their_route(app):
    from api.asgi.direct_routes import direct_routes
    from api.routers.login import login_submit

    table = direct_routes(app.routes)
    assert set(table) == {("POST", "/login")}
    route, endpoint = table[("POST", "/login")]
    assert endpoint is login_submit and getattr(route, "path", None) == "/login"


class _RefusingRouter:
    """The application's router, refusing every HTTP request it is handed."""

    def __init__(self, router):
        self._router = router

    def __getattr__(self, name):
        return getattr(self._router, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            raise AssertionError(f"routed: {scope['method']} {scope['path']}")
        await self._router(scope, receive, send)


def test_a_direct_route_is_answered_before_routing(app):
    app.router = _RefusingRouter(app.router)
    with TestClient(app, follow_redirects=False) as web:
        r = web.post("/login", data={"username": "sari", "password": PASSWORD})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
