"""What a citizen sees, in Bahasa Indonesia (the default) and in English: sign in, consent,
an error, sign out. Screenshots go to test-artifacts/screenshots/ for people to look at."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser

from tests.e2e.citizen import SCREENSHOTS, Citizen
from tests.e2e.conftest import PASSWORD, USERNAME, Site

pytestmark = pytest.mark.slow

TEXTS = {
    "id": (
        "Masuk",
        "Izinkan Layanan KTP",
        "Terjadi kesalahan",
        "Keluar dari SatuPintu?",
        "Anda sudah keluar",
    ),
    "en": (
        "Sign in",
        "Allow Layanan KTP",
        "Something went wrong",
        "Sign out of SatuPintu?",
        "You are signed out",
    ),
}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_pages_in_the_browsers_language(site: Site, browser: Browser, lang: str):
    context = browser.new_context(locale="id-ID" if lang == "id" else "en-US")
    context.set_default_timeout(15_000)
    try:
        citizen = Citizen(context, site.origin)
        login, consent, error, confirm, done = TEXTS[lang]
        ktp = site.app(site.ktp)
        tag = f"{site.idp.name}-{lang}"

        citizen.open(ktp.authorization_url(prompt="consent"))  # asked even if given before
        assert citizen.page.locator("h1").inner_text() == login
        citizen.shot(f"login-{tag}")
        citizen.sign_in(USERNAME, PASSWORD)
        assert citizen.on_consent_page() and consent in citizen.main_text()
        citizen.shot(f"consent-{tag}")
        citizen.approve()
        assert citizen.at_app

        bad = httpx.URL(
            ktp.client.authorization_endpoint,
            params={
                "response_type": "code",
                "client_id": "tidak-ada",
                "redirect_uri": ktp.redirect_uri,
                "scope": "openid",
            },
        )
        assert citizen.open(str(bad)).status == 400
        assert error in citizen.main_text() and "invalid_client" in citizen.main_text()
        citizen.shot(f"error-{tag}")

        citizen.open(f"{site.idp.issuer}/logout")
        assert citizen.page.locator("h1").inner_text() == confirm
        citizen.shot(f"logout-{tag}")
        with citizen.page.expect_navigation():
            citizen.page.click("button[type=submit]")
        assert citizen.page.locator("h1").inner_text() == done
        citizen.shot(f"signed-out-{tag}")
        for name in ("login", "consent", "error", "logout", "signed-out"):
            assert (SCREENSHOTS / f"{name}-{tag}.png").stat().st_size > 1000
    finally:
        context.close()
