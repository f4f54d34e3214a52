"""The JSON calls passkey.js makes from the pages (WebAuthn): the page's CSRF token in a
header, a small JSON object as the body, and problem JSON (RFC 9457) as the refusal."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from api.deps import pages
from api.errors import problem

MAX_JSON = 64 * 1024
PASSKEY_CSRF = "passkey"


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
