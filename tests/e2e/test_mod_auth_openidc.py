"""Apache's mod_auth_openidc, the relying party most regional servers already run, against a
real SatuPintu: two apps behind one Apache (a vhost, a client and a session cache each),
registered with the operator CLI, walked by a citizen in headless Chromium.

Login through a protected location; SSO into the second app without a password; RP-initiated
logout through mod_auth_openidc's `<redirect_uri>?logout=<url>` (SatuPintu's end_session
endpoint and back); back-channel logout making Apache drop the first app's session, both when
the citizen logs out of the other app and when the operator revokes the session
(`satupintu sessions revoke`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.apache import Apache, ProtectedApp
from tests.e2e.conftest import ORG, PASSWORD, USERNAME, Site
from tests.e2e.live import free_port

pytestmark = [pytest.mark.slow, pytest.mark.sites("sqlite")]


def register(app: ProtectedApp, alg: str, *extra: str) -> tuple[str, ...]:
    """`satupintu clients create` as docs/integration.md shows it for mod_auth_openidc."""
    return (
        "clients",
        "create",
        "--name",
        app.name,
        "--org",
        ORG,
        "--redirect-uri",
        app.redirect_uri,
        "--post-logout-redirect-uri",
        app.logged_out_url,
        "--backchannel-logout-uri",
        app.backchannel_logout_uri,
        "--id-token-signed-response-alg",
        alg,
        "--scope",
        "openid profile email",
        *extra,
    )


@dataclass
class Deployed:
    ktp: ProtectedApp  # a consent screen on first use
    sehat: ProtectedApp  # first-party (--skip-consent)
    registrations: dict[str, dict[str, str]]
    apache: Apache


@pytest.fixture(scope="module")
def apps(site: Site) -> Iterator[Deployed]:
    """Both apps behind one Apache, on the SQLite deployment, whose outbound guard lets
    logout tokens reach the loopback (tests/e2e/live.py, like every e2e deployment)."""
    ktp = ProtectedApp("Layanan KTP (Apache)", "ktp", free_port())
    sehat = ProtectedApp("Layanan Kesehatan (Apache)", "sehat", free_port())
    registrations = site.idp.cli_together(
        register(ktp, "RS256"), register(sehat, "ES256", "--skip-consent")
    )
    apache = Apache()
    try:
        conf = apache.configure(site.idp.issuer, list(zip((ktp, sehat), registrations)))
        apache.start(conf, [ktp, sehat])
        yield Deployed(ktp, sehat, dict(zip(("ktp", "sehat"), registrations)), apache)
    finally:
        apache.stop()


def on_login_page(page: Page, site: Site) -> bool:
    return page.url.startswith(f"{site.idp.issuer}/login") and (
        page.locator("input[name=password]").count() == 1
    )


def sign_in(page: Page) -> None:
    page.fill("input[name=username]", USERNAME)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def shows_the_citizen(page: Page, app: ProtectedApp) -> None:
    assert page.url == f"{app.origin}/private/", page.url
    assert page.inner_text("#user") == USERNAME  # OIDCRemoteUserClaim preferred_username
    assert page.inner_text("#email") == "budi@example.id"  # from userinfo


def session_with(site: Site, client_id: str) -> str:
    found = [
        s["sid"]
        for s in site.idp.cli("sessions", "list", "--user", USERNAME)
        if client_id in s["clients"]
    ]
    assert len(found) == 1, found
    return found[0]


def delivered_to(site: Site, uri: str, count: int, timeout: float = 10.0) -> None:
    """Wait until `count` logout tokens were delivered to `uri` (answered 200)."""
    sql = "SELECT count(*) FROM idp_logout_deliveries WHERE uri = :u AND delivered_at IS NOT NULL"
    deadline = time.monotonic() + timeout
    while site.idp.query(sql, u=uri)[0][0] < count:
        assert time.monotonic() < deadline, site.idp.query(
            "SELECT attempts, last_error FROM idp_logout_deliveries WHERE uri = :u", u=uri
        )
        time.sleep(0.1)


def test_login_sso_and_logout_through_apache(site: Site, apps: Deployed, browser: Browser):
    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(15_000)
    try:
        walk(site, apps, context.new_page())
    except BaseException:
        print(apps.apache.logs())  # shown with the failure
        raise
    finally:
        context.close()


def walk(site: Site, apps: Deployed, page: Page) -> None:
    ktp, sehat = apps.ktp, apps.sehat
    visited: list[str] = []
    page.on("request", lambda r: visited.append(r.url) if r.is_navigation_request() else None)

    # Login at SatuPintu through the protected location, consent, back at the page.
    page.goto(f"{ktp.origin}/private/")
    assert on_login_page(page, site), page.url
    sign_in(page)
    assert page.locator("button[name=decision][value=approve]").count() == 1, page.url
    with page.expect_navigation():
        page.click("button[name=decision][value=approve]")
    shows_the_citizen(page, ktp)

    # SSO: the second app (its own client, vhost and cache) gets in without a password.
    visited.clear()
    page.goto(f"{sehat.origin}/private/")
    shows_the_citizen(page, sehat)
    assert any(u.startswith(f"{site.idp.issuer}/authorize") for u in visited), visited
    assert not any(u.startswith(f"{site.idp.issuer}/login") for u in visited), visited

    # RP-initiated logout from the second app: SatuPintu's end_session endpoint and back.
    visited.clear()
    page.goto(f"{sehat.redirect_uri}?logout={quote(sehat.logged_out_url, safe='')}")
    assert page.url == sehat.logged_out_url, page.url
    assert "Anda sudah keluar" in page.inner_text("main")
    assert any(u.startswith(f"{site.idp.issuer}/logout") for u in visited), visited

    # Back-channel logout: the first app's Apache dropped its session; next request: login.
    delivered_to(site, ktp.backchannel_logout_uri, 1)
    page.goto(f"{ktp.origin}/private/")
    assert on_login_page(page, site), page.url
    page.goto(f"{sehat.origin}/private/")
    assert on_login_page(page, site), page.url

    # Again, ended by the operator this time.
    page.goto(f"{ktp.origin}/private/")
    sign_in(page)
    shows_the_citizen(page, ktp)  # consent was given before
    sid = session_with(site, apps.registrations["ktp"]["client_id"])
    assert site.idp.cli("sessions", "revoke", sid)["revoked"] == sid
    delivered_to(site, ktp.backchannel_logout_uri, 2)
    page.goto(f"{ktp.origin}/private/")
    assert on_login_page(page, site), page.url
