"""HTTP answers of the brute-force limiter (idp.signin.ratelimit): 429 with Retry-After, as problem
JSON on the machine API, as an OAuth error on the token and registration endpoints."""

from __future__ import annotations

import base64
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import JSONResponse

from api.adapter import client_ip
from api.errors import oauth_error, problem
from api.services import Services
from api.web.pages import Pages
from idp.signin.ratelimit import Throttled


def too_many_problem(throttled: Throttled) -> JSONResponse:
    return problem(
        429,
        "too_many_requests",
        "Too many requests",
        f"Too many attempts. Retry after {throttled.retry_after} seconds.",
        retry_after=throttled.retry_after,
    )


def too_many_oauth(throttled: Throttled) -> JSONResponse:
    # RFC 6749 names no error for this; temporarily_unavailable says "retry later" best.
    return oauth_error(
        "temporarily_unavailable",
        f"Too many attempts. Retry after {throttled.retry_after} seconds.",
        429,
        {"Retry-After": str(throttled.retry_after)},
    )


def request_cap(request: Request, svc: Services, endpoint: str) -> Throttled | None:
    """Count this request against the per-IP cap of the guarded endpoints."""
    return svc.limiter.request(client_ip(request), endpoint)


def basic_client_id(auth: str, form: list[tuple[str, str]]) -> str | None:
    """The client_id a token request authenticates as (Basic header or form), unverified."""
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None
        return unquote(decoded.partition(":")[0])[:128] or None
    found = dict(form).get("client_id")
    return found[:128] if found else None


def wait_text(pg: Pages, request: Request, lang: str, seconds: int) -> str:
    t = pg.gettext(lang)
    if seconds < 120:
        return t.gettext("Too many attempts. Please wait %(n)s seconds and try again.") % {
            "n": seconds
        }
    return t.gettext("Too many attempts. Please wait %(n)s minutes and try again.") % {
        "n": (seconds + 59) // 60
    }
