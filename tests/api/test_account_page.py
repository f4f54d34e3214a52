"""The account page: profile, change password, sessions and apps, each change notified."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.helpers_account import outbox, sign_in
from tests.oidc_rp import code_flow, csrf_of, exchange, register

PASSWORD = "gunung-salak-berkabut"
NEW = "perahu-layar-di-danau-toba"


def make_user(services):
    return services.users.create(
        username="ratna",
        password=PASSWORD,
        email="ratna@contoh.id",
        name="Ratna Sari",
        nik="3273016303850002",
    )


def other_browser(app):
    return TestClient(app, base_url="http://localhost:8000", follow_redirects=False)


def post_account(web, action, data):
    page = web.get("/account")
    assert page.status_code == 200, page.text
    return web.post(action, data={**data, "csrf_token": csrf_of(page.text)})


def test_requires_a_session_and_comes_back_after_login(web, services):
    make_user(services)
    r = web.get("/account")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/account"
    r = sign_in(web, "ratna", PASSWORD, next_path="/account")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    page = web.get("/account")
    assert page.status_code == 200
    assert "Ratna Sari" in page.text and "3273016303850002" in page.text
    assert 'href="/account/security"' in page.text
    assert len(page.content) < 50_000
    # An open redirect is not possible through `next`.
    assert sign_in(web, "ratna", PASSWORD, "//evil.example/").headers["location"] == "/"


def test_change_password_ends_other_sessions(web, app, services):
    user = make_user(services)
    sign_in(web, "ratna", PASSWORD)
    with other_browser(app) as phone:
        sign_in(phone, "ratna", PASSWORD)
        assert len(services.account.sessions(user.sub)) == 2
        wrong = post_account(
            web, "/account/password", {"current_password": "salah-sandi", "new_password": NEW}
        )
        assert wrong.status_code == 400 and "Kata sandi saat ini salah" in wrong.text
        weak = post_account(
            web, "/account/password", {"current_password": PASSWORD, "new_password": "qwerty123"}
        )
        assert weak.status_code == 400 and "terlalu umum" in weak.text
        ok = post_account(
            web, "/account/password", {"current_password": PASSWORD, "new_password": NEW}
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/account?done=password"
        assert web.get("/account").status_code == 200  # this browser stays signed in
        assert phone.get("/account").status_code == 303  # the other one is out
    assert len(services.account.sessions(user.sub)) == 1
    assert sign_in(web, "ratna", NEW).status_code == 303
    assert any("diubah" in m["Subject"] for m in outbox(services))


def test_revoke_a_session_and_an_app(web, app, services):
    user = make_user(services)
    client = register(services, name="Layanan KTP")
    with other_browser(app) as laptop:
        cb, _, verifier = code_flow(laptop, client, "ratna", PASSWORD)
        refresh = exchange(laptop, client, cb["code"], verifier).json()["refresh_token"]
        sign_in(web, "ratna", PASSWORD)
        page = web.get("/account")
        assert "Layanan KTP" in page.text and page.text.count("Keluarkan sesi ini") == 2
        mine = web.cookies.get(services.settings.cookie_name)
        theirs = [
            s
            for s in services.account.sessions(user.sub)
            if s.sid != services.sessions.lookup(mine).sid
        ]
        r = post_account(web, "/account/sessions/revoke", {"sid": theirs[0].sid})
        assert r.status_code == 303
        assert laptop.get("/account").status_code == 303
    r = post_account(web, "/account/apps/revoke", {"client_id": client.client_id})
    assert r.status_code == 303
    assert "Layanan KTP" not in web.get("/account").text
    r = web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(client.client_id, client.secret),
    )
    assert r.status_code == 400
    kinds = [m["Subject"] for m in outbox(services)]
    assert any("Sesi" in k for k in kinds) and any("dicabut" in k for k in kinds)
    types = {e.type for e in services.audit.recent(subject=user.sub)}
    assert {"session.revoke", "account.revoke_app"} <= types


def test_cannot_touch_someone_elses_session(web, app, services):
    make_user(services)
    other = services.users.create(username="bayu", password=PASSWORD)
    with other_browser(app) as b:
        sign_in(b, "bayu", PASSWORD)
    sid = services.account.sessions(other.sub)[0].sid
    sign_in(web, "ratna", PASSWORD)
    post_account(web, "/account/sessions/revoke", {"sid": sid})
    assert services.account.sessions(other.sub)[0].sid == sid


def test_forms_need_csrf(web, services):
    make_user(services)
    sign_in(web, "ratna", PASSWORD)
    r = web.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW})
    assert r.status_code == 403
