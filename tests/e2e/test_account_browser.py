"""The account pages in a real Chromium, in Bahasa Indonesia and in English, against one real
`satupintu serve` process whose mail goes to the file outbox (VAR_DIR/outbox/):

self-registration (a bad NIK and a breached password refused with a clear message), the
verification email and its single-use link, signing in, /account (profile, change password,
signing out another device, revoking an app that holds a refresh token), forgotten password ->
emailed link -> new password -> signing in with it, the used link refused; and the notices
that every change emails to the owner. Screenshots of every page go to
test-artifacts/screenshots/account-*.png."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext

from api.web.i18n import load_catalogs
from idp.selfservice.mail import FileOutbox
from tests.e2e.citizen import Citizen
from tests.e2e.live import Deployment
from tests.e2e.rp import RegionalApp
from tests.receiver import Receiver

pytestmark = pytest.mark.slow

CATALOGS = load_catalogs()


def tr(lang: str, msgid: str) -> str:
    """What the page must show in `lang`; for Indonesian it must really be translated."""
    text = CATALOGS[lang].gettext(msgid)
    assert lang == "en" or text != msgid, f"no Indonesian text for {msgid!r}"
    return text


@dataclass
class Person:
    nik: str
    name: str
    email: str
    password: str
    new_password: str
    reset_password: str


PEOPLE = {
    "id": Person(
        "3273015506920002",
        "Siti Rahmawati",
        "siti@contoh.go.id",
        "mangga-muda-di-pasar-baru",
        "hujan-sore-di-kota-kembang",
        "kopi-tubruk-pagi-hari-99",
    ),
    "en": Person(
        "3171011203850003",
        "Agus Wijaya",
        "agus@example.id",
        "a-long-walk-to-monas-park",
        "blue-ferry-to-pulau-seribu",
        "kites-over-parangtritis-7",
    ),
}
LOCALE = {"id": "id-ID", "en": "en-US"}


@dataclass
class AccountSite:
    idp: Deployment
    app: dict[str, str]  # a regional app allowed offline_access (refresh tokens)
    receiver: Receiver

    @property
    def outbox(self) -> FileOutbox:
        return FileOutbox(self.idp.var_dir / "outbox", sender="")

    def mail(self, to: str) -> list[tuple[str, str]]:
        """(subject, body) of every message to `to`, oldest first."""
        return [
            (str(m["Subject"]), m.get_body().get_content())  # type: ignore[union-attr]
            for m in self.outbox.messages()
            if m["To"] == to
        ]

    def link(self, to: str, path: str) -> str:
        """The newest link to `path` mailed to `to`."""
        pattern = re.compile(re.escape(f"{self.idp.issuer}{path}?token=") + r"[\w\-]+")
        found = [m.group(0) for _, body in self.mail(to) for m in pattern.finditer(body)]
        assert found, f"no {path} link mailed to {to}: {self.mail(to)}"
        return found[-1]

    def audited(self, sub: str) -> list[str]:
        rows = self.idp.query("SELECT type FROM audit_events WHERE subject = :s ORDER BY id", s=sub)
        return [r[0] for r in rows]


@pytest.fixture(scope="module")
def account_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountSite]:
    idp = Deployment(
        "account",
        tmp_path_factory.mktemp("e2e-account"),
        extra_env={"SATUPINTU_ARGON2_MEMORY_COST": "8192"},
    )
    receiver = Receiver()
    try:
        idp.launch()
        app = idp.cli(
            "clients",
            "create",
            "--name",
            "Layanan Perizinan",
            "--redirect-uri",
            f"{receiver.origin}/izin/callback",
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid profile email offline_access",
        )
        idp.wait_ready()
        yield AccountSite(idp, app, receiver)
    finally:
        idp.stop()
        receiver.close()


# Real-looking user agents: the session list names devices by browser and system.
AGENTS = {
    "Laptop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36",
    "Ponsel": "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Mobile Safari/537.36",
}
DEVICE_NAMES = {"Laptop": "Chrome · Windows", "Ponsel": "Chrome · Android"}


def _context(browser: Browser, lang: str, device: str = "Laptop") -> BrowserContext:
    context = browser.new_context(locale=LOCALE[lang], user_agent=AGENTS[device])
    context.set_default_timeout(15_000)
    return context


class Visitor(Citizen):
    """A citizen at SatuPintu's own pages: checks the heading's language, takes screenshots."""

    def __init__(self, context: BrowserContext, site: AccountSite, lang: str) -> None:
        super().__init__(context, site.receiver.origin)
        self.issuer, self.lang = site.idp.issuer, lang

    def go(self, path_or_url: str, status: int = 200) -> None:
        url = path_or_url if path_or_url.startswith("http") else self.issuer + path_or_url
        response = self.open(url)
        assert response is not None and response.status == status, (url, response)

    def submit(self, form: str) -> None:
        with self.page.expect_navigation():
            self.page.click(f"form[action='{form}'] button[type=submit]")

    def heading(self, msgid: str) -> None:
        assert self.page.locator("h1").inner_text() == tr(self.lang, msgid)
        assert self.page.locator("html").get_attribute("lang") == self.lang

    def says(self, msgid: str) -> None:
        assert tr(self.lang, msgid) in self.main_text(), self.main_text()

    def error(self, msgid: str) -> None:
        assert self.page.locator("main .error:visible").inner_text() == tr(self.lang, msgid)

    def shot(self, name: str) -> Path:  # type: ignore[override]
        path = super().shot(f"account-{name}-{self.lang}")
        assert path.stat().st_size > 1000
        assert len(self.page.content().encode()) < 50_000  # pages stay light
        return path

    def sign_in_to(self, next_path: str, login: str, password: str) -> None:
        self.go(f"/login?next={next_path}")
        self.sign_in(login, password)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_account_flows_in_chromium(account_site: AccountSite, browser: Browser, lang: str):
    site, who = account_site, PEOPLE[lang]
    context, phone_context = _context(browser, lang), _context(browser, lang, "Ponsel")
    try:
        me, phone = Visitor(context, site, lang), Visitor(phone_context, site, lang)

        # -- self-registration: two refusals, then the "check your email" answer -----------
        me.go("/login")
        with me.page.expect_navigation():
            me.page.click("a[href='/signup']")
        me.heading("Create an account")
        me.shot("register")
        me.page.fill("#nik", "3201011501900000")  # sequence 0000
        me.page.fill("#name", who.name)
        me.page.fill("#email", who.email)
        me.page.fill("#password", who.password)
        me.submit("/signup")
        me.error("The NIK has an invalid sequence number (last 4 digits).")
        assert me.page.input_value("#name") == who.name  # what was typed is kept
        me.shot("register-invalid-nik")
        me.page.fill("#nik", who.nik)
        me.page.fill("#password", "indonesia123")
        me.submit("/signup")
        me.error("This password is too common or has appeared in a data breach. Choose another.")
        me.shot("register-breached-password")
        me.page.fill("#password", who.password)
        me.submit("/signup")
        me.heading("Check your email")
        me.shot("register-check-email")

        # Not active yet: the right password only says to open the link.
        me.sign_in_to("/account", who.email, who.password)
        assert "/login" in me.page.url
        me.error("Your account is not active yet. Open the link we emailed you to activate it.")
        me.shot("login-pending")

        # -- the verification email, from the outbox; its link works once -----------------
        (subject, body), *_ = site.mail(who.email)
        assert "Aktifkan akun SatuPintu Anda" in subject and "-- English --" in body
        verify = site.link(who.email, "/verify-email")
        me.go(verify)
        me.heading("Your account is active")
        me.shot("email-verified")
        me.go(verify, status=400)
        me.heading("This link does not work")
        me.shot("link-used")

        # -- signed in: the account page shows the decrypted profile -----------------------
        me.sign_in_to("/account", who.nik, who.password)
        assert me.page.url == f"{site.idp.issuer}/account"
        me.heading("My account")
        profile = me.page.inner_text("dl.profile")
        assert who.name in profile and who.nik in profile and who.email in profile
        assert tr(lang, "verified") in profile
        sub = site.idp.query(
            "SELECT subject FROM audit_events WHERE type = 'user.verify_email' ORDER BY id DESC"
        )[0][0]

        # An app obtains a refresh token (authorization code flow with offline_access).
        app = RegionalApp(site.idp.issuer, site.app)
        back = me.log_in_through(app.authorization_url(), who.nik, who.password)
        answer = app.callback(back)
        tokens = app.redeem(answer["code"], answer["state"])
        refresh_token = tokens["refresh_token"]

        # Another device signs in too.
        phone.sign_in_to("/account", who.email, who.password)
        assert phone.page.url.endswith("/account")

        me.go("/account")
        sessions = me.page.locator("ul.items").first
        assert sessions.locator("li").count() == 2
        assert DEVICE_NAMES["Ponsel"] in sessions.inner_text()
        laptop = sessions.locator("li", has_text=DEVICE_NAMES["Laptop"])
        assert tr(lang, "this device") in laptop.inner_text()
        apps = me.page.locator("ul.items").nth(1)
        assert "Layanan Perizinan" in apps.inner_text() and "offline_access" in apps.inner_text()
        me.shot("page")

        # -- sign the other device out ------------------------------------------------------
        with me.page.expect_navigation():
            sessions.locator("li", has_text=DEVICE_NAMES["Ponsel"]).locator("button").click()
        assert me.page.locator("p.notice").inner_text() == tr(lang, "The session was signed out.")
        assert me.page.locator("ul.items").first.locator("li").count() == 1
        me.shot("session-signed-out")
        phone.go("/account")
        assert "/login?next=/account" in phone.page.url  # that browser is signed out

        # -- revoke the app: its refresh token stops working --------------------------------
        with me.page.expect_navigation():
            me.page.locator("form[action='/account/apps/revoke'] button").click()
        assert me.page.locator("p.notice").inner_text() == tr(lang, "The app's access was revoked.")
        me.says("No app keeps access to your account.")
        me.shot("app-revoked")
        refused = app.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"

        # -- change password: a wrong current one and a breached new one are refused --------
        me.page.fill("#current", "bukan-kata-sandinya")
        me.page.fill("#new", who.new_password)
        me.submit("/account/password")
        me.error("The current password is wrong.")
        me.shot("password-wrong-current")
        # The language switch after a refused form comes back to the account page.
        other = "en" if lang == "id" else "id"
        for shown in (other, lang):
            with me.page.expect_navigation():
                me.page.click("header nav a")
            assert me.page.url == f"{site.idp.issuer}/account"
            assert me.page.locator("h1").inner_text() == tr(shown, "My account")
        me.page.fill("#current", who.password)
        me.page.fill("#new", "bismillah123")
        me.submit("/account/password")
        me.error("This password is too common or has appeared in a data breach. Choose another.")
        me.page.fill("#current", who.password)
        me.page.fill("#new", who.new_password)
        me.submit("/account/password")
        assert me.page.locator("p.notice").inner_text() == tr(
            lang, "Your password was changed. Your other sessions were signed out."
        )
        me.shot("password-changed")

        # -- sign out, forget the password, reset it through the emailed link --------------
        with me.page.expect_navigation():
            me.page.click("form[action='/logout'] button")
        me.heading("Sign out of SatuPintu?")
        me.submit("/logout")
        me.go("/login")
        with me.page.expect_navigation():
            me.page.click("a[href='/password/forgot']")
        me.heading("Forgot your password?")
        me.shot("password-forgot")
        me.page.fill("#login", who.email)
        me.submit("/password/forgot")
        me.heading("Check your email")
        me.shot("password-forgot-sent")
        reset = site.link(who.email, "/password/reset")
        me.go(reset)
        me.heading("Choose a new password")
        me.shot("password-reset")
        me.page.fill("#password", "12345678")
        me.submit("/password/reset")
        me.error("This password is too common or has appeared in a data breach. Choose another.")
        me.page.fill("#password", who.reset_password)  # the refused try kept the link usable
        me.submit("/password/reset")
        me.heading("Password changed")
        me.shot("password-reset-done")

        me.sign_in_to("/account", who.email, who.new_password)  # the old one no longer works
        assert "/login" in me.page.url
        me.error("The NIK/email/username or password is wrong.")
        me.sign_in_to("/account", who.email, who.reset_password)
        assert me.page.url == f"{site.idp.issuer}/account"
        me.go(reset, status=400)
        me.heading("This link does not work")

        # -- every change was emailed to the owner and audited ------------------------------
        subjects = [s for s, _ in site.mail(who.email)]
        assert [s.split(" / ")[1] for s in subjects] == [
            "Activate your SatuPintu account",
            "A SatuPintu session was signed out",
            "An application's access was revoked",
            "Your SatuPintu password was changed",
            "Reset your SatuPintu password",
            "Your SatuPintu password was changed",
        ]
        events = site.audited(sub)
        for event in (
            "user.verify_email",
            "session.revoke",
            "account.revoke_app",
            "user.password_change",
            "password_reset.complete",
        ):
            assert event in events, events
    finally:
        phone_context.close()
        context.close()
