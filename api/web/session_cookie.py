"""The browser's two sign-in cookies: the SSO session's, and that of a sign-in whose second
factor is still due."""

from __future__ import annotations

import re

from fastapi.responses import Response

from api.services import Services

_COOKIE_VALUE = re.compile(r"[A-Za-z0-9_-]{16,128}")


def set_session_cookie(svc: Services, response: Response, value: str) -> None:
    """The SSO session cookie, written as Starlette's `set_cookie` writes it but without a
    `SimpleCookie` per sign-in (~15 µs warm, more after argon2id): the value is a `new_secret()`,
    URL-safe base64, so nothing in it needs quoting; anything else is refused."""
    if not _COOKIE_VALUE.fullmatch(value):
        raise ValueError("a session cookie value is URL-safe base64")
    s = svc.settings
    header = f"{s.cookie_name}={value}; HttpOnly; Max-Age={s.session_ttl}; Path=/; SameSite=lax"
    if s.secure_cookies:
        header += "; Secure"
    response.raw_headers.append((b"set-cookie", header.encode("latin-1")))


SIGNIN_COOKIE_PATH = "/login"  # the second-factor step's pages and calls, nothing else


def set_signin_cookie(svc: Services, response: Response, value: str) -> None:
    """The cookie of a sign-in whose second factor is due (never a session cookie)."""
    s = svc.settings
    response.set_cookie(
        s.signin_cookie_name,
        value,
        max_age=s.second_factor_ttl,
        path=SIGNIN_COOKIE_PATH,
        secure=s.secure_cookies,
        httponly=True,
        samesite="lax",
    )


def clear_signin_cookie(svc: Services, response: Response) -> None:
    response.delete_cookie(svc.settings.signin_cookie_name, path=SIGNIN_COOKIE_PATH)
