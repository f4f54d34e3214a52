"""Helpers the second-factor pages share: the session cookie, local-only `next` targets,
upgrading a session after a second factor, and small JSON bodies for the passkey calls."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import pages
from api.errors import problem
from api.services import Services
from idp.signin.mfa.factors import merge_amr
from idp.signin.mfa.policy import acr_for
from idp.signin.sessions import ActiveSession

MAX_JSON = 64 * 1024
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


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site: never an open redirect."""
    if not target or len(target) > 512:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target:
        return default
    return target


def after_login(interaction: str | None, next_path: str | None) -> str:
    if interaction:
        return f"/authorize/resume?interaction={interaction}"
    return local_path(next_path)


async def upgrade(
    request: Request, svc: Services, user_id: str, base_amr: list[str], extra: list[str]
) -> tuple[ActiveSession, str]:
    """Re-establish the session with the new factor: same `sid`, new cookie, new auth_time."""
    amr = merge_amr(base_amr, extra)
    return await run_in_threadpool(
        lambda: svc.sessions.establish(
            user_id,
            acr=acr_for(amr),
            amr=amr,
            current_cookie=request.cookies.get(svc.settings.cookie_name),
            user_agent=request.headers.get("user-agent"),
        )
    )


class BadJson(Exception):
    pass


async def read_json(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadJson("send JSON")
    body = await request.body()
    if len(body) > MAX_JSON:
        raise BadJson("body too large")
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise BadJson("malformed JSON") from exc
    if not isinstance(data, dict):
        raise BadJson("expected a JSON object")
    return data


def json_problem(status: int, kind: str, detail: str) -> Response:
    titles = {400: "Bad request", 401: "Not signed in", 403: "Forbidden", 422: "Rejected"}
    return problem(status, kind, titles.get(status, "Error"), detail)


PASSKEY_CSRF = "passkey"


async def passkey_call(request: Request, *, body: bool = True) -> dict[str, Any] | Response:
    """What every passkey call checks first: the page's CSRF token (`X-CSRF-Token`), then a
    small JSON object when the call carries one. A Response is the refusal to send back."""
    if not pages(request).csrf.check(request, PASSKEY_CSRF, request.headers.get("x-csrf-token")):
        return json_problem(403, "csrf", "The page expired. Reload it and try again.")
    if not body:
        return {}
    try:
        return await read_json(request)
    except BadJson as exc:
        return json_problem(400, "invalid_request", str(exc))


def recently_verified(svc: Services, session: ActiveSession) -> bool:
    age = (svc.clock() - session.auth_time).total_seconds()
    return "mfa" in session.amr and age <= svc.settings.mfa_reauth_seconds
