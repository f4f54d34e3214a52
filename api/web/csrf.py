"""CSRF protection for every HTML form: a random per-browser cookie plus a form token that is
an HMAC of it under a server key, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request
from fastapi.responses import Response

from idp.secrets import same_text

COOKIE = "satupintu_csrf"


class CsrfGuard:
    def __init__(self, key: bytes, secure: bool) -> None:
        self._key, self._secure = key, secure

    def browser_id(self, request: Request) -> str:
        existing = request.cookies.get(COOKIE)
        if existing and 16 <= len(existing) <= 64:
            return existing
        pending = getattr(request.state, "csrf_new_cookie", None)
        if pending:  # a second token on the same page: same browser id
            return str(pending)
        new = secrets.token_urlsafe(24)
        request.state.csrf_new_cookie = new
        return new

    def token(self, request: Request, purpose: str) -> str:
        bid = self.browser_id(request)
        return hmac.new(self._key, f"{bid}:{purpose}".encode(), hashlib.sha256).hexdigest()

    def check(self, request: Request, purpose: str, submitted: str | None) -> bool:
        bid = request.cookies.get(COOKIE)
        if not bid or not submitted:
            return False
        wanted = hmac.new(self._key, f"{bid}:{purpose}".encode(), hashlib.sha256).hexdigest()
        return same_text(wanted, submitted)

    def set_cookie(self, request: Request, response: Response) -> None:
        new = getattr(request.state, "csrf_new_cookie", None)
        if new:
            response.set_cookie(
                COOKIE, new, httponly=True, secure=self._secure, samesite="lax", path="/"
            )
