"""A citizen without a browser: plain HTTP with a cookie jar against a real server, filling in
SatuPintu's forms (CSRF token included) the way the pages ask. Faster than Chromium where no
script runs on the page (password, one-time code, consent, account pages)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests.oidc_rp import csrf_of, query_of


class HttpCitizen:
    def __init__(self, issuer: str, *, on_secret: Callable[[str, str], None] | None = None):
        self.issuer = issuer
        self.on_secret = on_secret or (lambda label, value: None)
        self.http = httpx.Client(
            base_url=issuer,
            follow_redirects=False,
            timeout=15,
            event_hooks={"response": [self._cookies_set]},
        )

    def _cookies_set(self, response: httpx.Response) -> None:
        """Every cookie value the server sets (session, CSRF) is a secret too."""
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.on_secret(f"cookie {name}", rest.split(";", 1)[0].strip('"'))

    def close(self) -> None:
        self.http.close()

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, **kw)

    def page(self, url: str, status: int = 200) -> tuple[httpx.Response, str]:
        """GET a page that has a form; returns it and its CSRF token."""
        resp = self.http.get(url)
        assert resp.status_code == status, (url, resp.status_code, resp.text[:500])
        return resp, self.form_token(resp)

    def form_token(self, page: httpx.Response) -> str:
        token = csrf_of(page.text)
        self.on_secret("CSRF token", token)
        return token

    def submit(self, page_url: str, action: str, fields: dict[str, str]) -> httpx.Response:
        """Open `page_url`, then post its form to `action` with `fields` and the CSRF token."""
        _, token = self.page(page_url)
        return self.http.post(action, data={**fields, "csrf_token": token})

    def sign_in(
        self,
        start: str,
        login: str,
        password: str,
        *,
        otp: Callable[[], str] | None = None,
        approve: bool = True,
    ) -> str:
        """Follow `start` (an authorization URL, or a page of ours) through the login form,
        the one-time-code form and the consent page; returns where the journey ends: the URL
        a redirect leaves SatuPintu for (the app's redirect URI, with the code), or the path
        of the page of ours it stops on."""
        location = start
        for _ in range(10):
            if location.startswith("http") and not location.startswith(self.issuer):
                return location
            path = location.removeprefix(self.issuer)
            query = query_of(path)
            iid, nxt = query.get("interaction", ""), query.get("next", "")
            if iid:
                self.on_secret("interaction id", iid)
            if path.startswith("/login/otp"):
                assert otp is not None, "a one-time code was asked for"
                fields = {"otp": otp(), "interaction": iid, "next": nxt}
                resp = self.submit(path, "/login/otp", fields)
            elif path.startswith("/login"):
                fields = {"username": login, "password": password, "interaction": iid, "next": nxt}
                resp = self.submit(path, "/login", fields)
            elif path.startswith("/consent"):
                decision = "approve" if approve else "deny"
                resp = self.submit(path, "/consent", {"interaction": iid, "decision": decision})
            else:
                resp = self.http.get(path)
                if resp.status_code == 200:
                    return path  # one of our own pages: the journey ends there
            assert resp.status_code in (302, 303), (path, resp.status_code, resp.text[:500])
            location = resp.headers["location"]
        raise AssertionError("too many redirects")
