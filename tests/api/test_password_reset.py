"""Forgotten password: the same answer for everyone, a single-use 30-minute link, and every
session and refresh token of the account ends."""

from __future__ import annotations

from tests.api.helpers_account import last_link, outbox, sign_in, submit
from tests.oidc_rp import code_flow, exchange, register

PASSWORD = "gunung-salak-berkabut"
NEW = "perahu-layar-di-danau-toba"


def setup_user(services):
    return services.users.create(
        username="ratna", password=PASSWORD, email="ratna@contoh.id", nik="3273016303850002"
    )


def forgot(web, login):
    return submit(web, "/password/forgot", "/password/forgot", {"login": login})


def test_reset_end_to_end(web, services):
    user = setup_user(services)
    client = register(services)
    cb, _, verifier = code_flow(web, client, "ratna", PASSWORD)
    refresh = exchange(web, client, cb["code"], verifier).json()["refresh_token"]
    assert services.account.sessions(user.sub)
    r = forgot(web, "3273016303850002")
    assert r.status_code == 200 and "Periksa email Anda" in r.text
    link = last_link(services, "ratna@contoh.id")
    assert link.startswith("/password/reset?token=")
    page = web.get(link)
    assert page.status_code == 200
    token = link.split("token=", 1)[1]
    weak = submit(web, link, "/password/reset", {"token": token, "password": "password1"})
    assert weak.status_code == 400 and "terlalu umum" in weak.text  # the link still works
    done = submit(web, link, "/password/reset", {"token": token, "password": NEW})
    assert done.status_code == 200 and "Kata sandi diubah" in done.text
    # Old link is single use; every session and refresh token has ended.
    assert web.get(link).status_code == 400
    assert services.account.sessions(user.sub) == []
    r = web.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(client.client_id, client.secret),
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    assert sign_in(web, "ratna", PASSWORD).status_code == 401
    assert sign_in(web, "ratna", NEW).status_code == 303
    subjects = [m["Subject"] for m in outbox(services)]
    assert any("diubah" in s for s in subjects)  # the owner was told
    types = {e.type for e in services.audit.recent(subject=user.sub)}
    assert {"password_reset.request", "password_reset.complete", "session.revoke"} <= types


def test_same_answer_whether_or_not_the_account_exists(web, services):
    setup_user(services)
    known = forgot(web, "ratna@contoh.id")
    unknown = forgot(web, "siapa@contoh.id")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert [m["To"] for m in outbox(services)] == ["ratna@contoh.id"]


def test_link_expires_after_thirty_minutes(web, services, clock):
    setup_user(services)
    forgot(web, "ratna")
    link = last_link(services, "ratna@contoh.id")
    clock.advance(30 * 60 + 1)
    assert web.get(link).status_code == 400
    token = link.split("token=", 1)[1]
    assert services.password_reset.reset(token, NEW) is None


def test_a_newer_link_replaces_the_older(web, services):
    setup_user(services)
    forgot(web, "ratna")
    first = last_link(services, "ratna@contoh.id")
    forgot(web, "ratna")
    assert web.get(first).status_code == 400
    assert web.get(last_link(services, "ratna@contoh.id")).status_code == 200


def test_a_failure_behind_the_answer_changes_nothing_the_visitor_sees(web, services, caplog):
    """The lookup and the mail run after the answer is sent: if they fail (here the key
    provider is gone), the visitor still gets the same page and the log names no login."""
    setup_user(services)

    def down(_login: str) -> None:
        raise RuntimeError("key provider unreachable")

    services.password_reset.request = down
    r = forgot(web, "ratna@contoh.id")
    assert r.status_code == 200 and r.text == forgot(web, "siapa@contoh.id").text
    assert "ratna" not in caplog.text and "password reset request failed" in caplog.text
