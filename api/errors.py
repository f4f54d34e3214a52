"""Error responses: RFC 9457 problem JSON for the machine API, friendly pages for browsers."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

PROBLEM_BASE = "https://satupintu.go.id/problems/"


def problem(
    status: int,
    kind: str,
    title: str,
    detail: str | None = None,
    *,
    retry_after: int | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {"Cache-Control": "no-store"}
    if status == 503:
        headers["Retry-After"] = "5"
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(
        body, status_code=status, media_type="application/problem+json", headers=headers
    )


def oauth_error(
    error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=status,
        headers={"Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})},
    )


def oauth_unavailable() -> JSONResponse:
    """A protocol endpoint whose database or key service is down: retry shortly."""
    return oauth_error(
        "temporarily_unavailable", "Please retry shortly.", 503, {"Retry-After": "5"}
    )
