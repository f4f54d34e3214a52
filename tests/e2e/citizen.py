"""A citizen at a real headless Chromium: follows the app's link to SatuPintu, signs in through
the HTML form, approves consent, and lands back on the app's redirect URI, served by a small
local HTTP server (tests/receiver.py) standing in for the regional app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

from tests.e2e.live import REPO

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


class Citizen:
    def __init__(self, context: BrowserContext, app_origin: str) -> None:
        self.context = context
        self.app_origin = app_origin
        self.page: Page = context.new_page()

    @property
    def at_app(self) -> bool:
        return self.page.url.startswith(self.app_origin)

    def open(self, url: str) -> Any:
        return self.page.goto(url)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in(self, username: str, password: str) -> None:
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", password)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")

    def approve(self) -> None:
        with self.page.expect_navigation():
            self.page.click("button[name=decision][value=approve]")

    def on_login_page(self) -> bool:
        return self.page.locator("input[name=password]").count() == 1

    def on_consent_page(self) -> bool:
        return self.page.locator("button[name=decision][value=approve]").count() == 1

    def log_in_through(self, url: str, username: str, password: str) -> str:
        """Open an authorization URL and do whatever the pages ask until back at the app."""
        self.open(url)
        for _ in range(4):
            if self.at_app:
                return self.page.url
            if self.on_login_page():
                self.sign_in(username, password)
            elif self.on_consent_page():
                self.approve()
            else:
                raise AssertionError(f"stuck at {self.page.url}: {self.page.inner_text('main')}")
        assert self.at_app, self.page.url
        return self.page.url

    def silently(self, url: str) -> str:
        """Open an authorization URL expecting to come straight back, no page shown."""
        self.open(url)
        assert self.at_app, f"a page was shown: {self.page.url}"
        return self.page.url

    def main_text(self) -> str:
        return self.page.inner_text("main")
