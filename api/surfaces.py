"""What each surface answers a failed request with: an HTML page, OAuth error JSON (RFC 6749
§5.2) or problem JSON (RFC 9457).

Each router declares its surface by the class of its routes (`APIRouter(route_class=...)`),
and the application's exception handlers ask the route the request matched (`scope["route"]`,
set by routing and by DirectRoutes alike). A request that matched none of these routes (no
route at all: a 404; FastAPI's own documents; the static files) is answered as before: problem
JSON under /api/, the machine API's space; elsewhere a page for a browser, negotiated.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from fastapi import Request
from fastapi.routing import APIRoute

MACHINE_API = "/api/"  # the machine API (/api/v1) and its documents


class Answers(StrEnum):
    PAGE = "page"  # an HTML page, whatever the request says it accepts
    BROWSER = "browser"  # an HTML page for a browser (negotiated), OAuth error JSON otherwise
    OAUTH = "oauth"  # OAuth error JSON
    PROBLEM = "problem"  # problem JSON


class SurfaceRoute(APIRoute):
    answers: ClassVar[Answers] = Answers.BROWSER


class PageRoute(SurfaceRoute):
    """HTML forms: a browser's POST may not say it accepts HTML."""

    answers = Answers.PAGE


class BrowserRoute(SurfaceRoute):
    """Pages and what they call: a page for a browser's form post, GET or `Accept: text/html`;
    JSON for anything else (passkey.js's calls)."""

    answers = Answers.BROWSER


class OAuthRoute(SurfaceRoute):
    """The OAuth 2.0 / OIDC protocol endpoints that machines call."""

    answers = Answers.OAUTH


class ProblemRoute(SurfaceRoute):
    """The machine API."""

    answers = Answers.PROBLEM


def answers(request: Request) -> Answers:
    """What the surface of the request's route answers with."""
    route = request.scope.get("route")
    if isinstance(route, SurfaceRoute):
        return route.answers
    return Answers.PROBLEM if request.url.path.startswith(MACHINE_API) else Answers.BROWSER


def wants_html(request: Request) -> bool:
    kind = answers(request)
    if kind is Answers.BROWSER:
        return _browser(request)
    return kind is Answers.PAGE


def _browser(request: Request) -> bool:
    if (
        request.headers.get("content-type", "")
        .lower()
        .startswith("application/x-www-form-urlencoded")
    ):
        return True  # any other form a page posts (the account pages'); JSON is passkey.js's
    return "text/html" in request.headers.get("accept", "") or request.method == "GET"
