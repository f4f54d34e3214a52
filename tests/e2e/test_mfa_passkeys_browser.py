"""Passkeys in a real browser: headless Chromium with a CDP virtual authenticator against a
real `satupintu serve` process. Registers a passkey and an authenticator app on
/account/security, then signs in to an MFA-requiring app with password + passkey and with the
passkey alone; screenshots of each page in Indonesian and English."""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.e2e.mfa_live import screenshot, virtual_authenticator

PASSWORD = "kata-sandi-rahasia"
CALLBACK = "https://layanan.example/cb"


def _authorize(idp, client_id, lang):
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid profile",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "ui_locales": lang,
    }
    return f"{idp.issuer}/authorize?{urlencode(params)}"


def _claims(idp, client, code):
    r = httpx.post(
        f"{idp.issuer}/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
        auth=(client["client_id"], client["client_secret"]),
    )
    assert r.status_code == 200, r.text
    keys = KeySet.import_key_set(httpx.get(f"{idp.issuer}/jwks.json").json())
    return jwt.decode(r.json()["id_token"], keys, algorithms=["RS256"]).claims


def _to_app(page, seen):
    """Approve consent if asked; return the code the app receives (seen on the wire, so a
    route that is never answered does not matter)."""
    for _ in range(150):
        if seen:
            page.wait_for_load_state()  # the app's host does not exist: an error page
            url = seen[-1]
            seen.clear()
            return parse_qs(urlsplit(url).query)["code"][0]
        if "/consent" in page.url and page.locator("button[value=approve]").count():
            page.click("button[value=approve]")
        page.wait_for_timeout(100)
    raise AssertionError(f"never reached the app; at {page.url}")


@pytest.mark.slow
def test_passkeys_and_totp_in_chromium(mfa_idp, browser):
    idp = mfa_idp
    user = idp.cli("users", "create", "--username", "sari", "--password", PASSWORD)
    client = idp.cli("clients", "create", "--name", "Layanan Perizinan", "--redirect-uri", CALLBACK)
    idp.cli("clients", "update", client["client_id"], "--require-mfa")

    context = browser.new_context(locale="id-ID")
    context.set_default_timeout(15_000)
    seen: list[str] = []
    context.on("request", lambda r: seen.append(r.url) if r.url.startswith(CALLBACK) else None)
    page = context.new_page()
    virtual_authenticator(context, page)

    # Sign in with the password (no factor yet) and open the security page.
    for lang in ("id", "en"):
        page.goto(f"{idp.issuer}/login?ui_locales={lang}")
        screenshot(page, f"mfa-login-{lang}")
    page.fill("#username", "sari")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{idp.issuer}/")
    for lang in ("id", "en"):
        page.goto(f"{idp.issuer}/lang?set={lang}&next=/account/security")
        screenshot(page, f"mfa-security-empty-{lang}")

    # Register a passkey through navigator.credentials.create().
    page.fill("#passkey-name", "Laptop Sari")
    page.click("button[data-passkey=register]")
    page.wait_for_url(re.compile(r"done=passkey"))
    assert "Laptop Sari" in page.content()

    # Authenticator app: QR + secret, confirm with a code, recovery codes shown once.
    page.click("form[action='/account/security/totp/start'] button")
    secret = page.inner_text("#totp-secret")
    assert page.eval_on_selector(".qr img", "img => img.naturalWidth") > 0, "QR code not shown"
    screenshot(page, "mfa-totp-enrol-en")
    page.fill("#otp", pyotp.TOTP(secret).now())
    page.click("form[action='/account/security/totp/confirm'] button")
    assert len(page.locator("#recovery-codes li").all()) == 10
    screenshot(page, "mfa-recovery-codes-en")
    page.goto(f"{idp.issuer}/lang?set=id&next=/account/security")
    screenshot(page, "mfa-security-enrolled-id")
    page.goto(f"{idp.issuer}/lang?set=en&next=/account/security")
    screenshot(page, "mfa-security-enrolled-en")

    # An app that requires MFA: password, then the passkey as the second factor.
    context.clear_cookies()
    page.goto(_authorize(idp, client["client_id"], "en"))
    page.fill("#username", "sari")
    page.fill("#password", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(re.compile(r"/login/otp"))
    screenshot(page, "mfa-second-factor-en")
    page.click("button[data-passkey='2fa']")
    claims = _claims(idp, client, _to_app(page, seen))
    assert claims["sub"] == user["sub"]
    assert claims["acr"] == "urn:satupintu:acr:mfa" and claims["amr"] == ["pwd", "hwk", "mfa"]
    page.goto(f"{idp.issuer}/login/otp?ui_locales=id&next=/")
    screenshot(page, "mfa-second-factor-id")

    # Passwordless: a fresh browser session, the passkey alone (discoverable, with UV).
    context.clear_cookies()
    page.goto(_authorize(idp, client["client_id"], "id"))
    page.click("button[data-passkey=passwordless]")
    claims = _claims(idp, client, _to_app(page, seen))
    assert claims["sub"] == user["sub"]
    assert claims["amr"] == ["hwk", "user", "mfa"]

    # A required-MFA app and a user without any factor: a friendly page, no code.
    idp.cli("users", "create", "--username", "tono", "--password", PASSWORD)
    context.clear_cookies()
    seen.clear()
    for lang in ("id", "en"):
        page.goto(_authorize(idp, client["client_id"], lang))
        if "/login" in page.url:
            page.fill("#username", "tono")
            page.fill("#password", PASSWORD)
            page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert "/account/security" in page.content()
        assert not seen and not page.url.startswith(CALLBACK)
        screenshot(page, f"mfa-enrol-required-{lang}")
    context.close()
