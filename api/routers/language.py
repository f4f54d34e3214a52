"""The language switch: the visitor's choice of Bahasa Indonesia or English, kept in a cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.assurance import Assurance, assurance
from api.deps import services
from api.surfaces import BrowserRoute
from api.web.i18n import LANG_COOKIE, LOCALES
from api.web.next_target import local_path

router = APIRouter(route_class=BrowserRoute)


@router.get("/lang")
@assurance(Assurance.PUBLIC)
def choose_language(request: Request) -> Response:
    chosen = request.query_params.get("set")
    target = local_path(request.query_params.get("next"))  # local paths only: no open redirect
    response = RedirectResponse(target, status_code=303)
    if chosen in LOCALES:
        response.set_cookie(
            LANG_COOKIE,
            chosen,
            max_age=365 * 24 * 3600,
            samesite="lax",
            httponly=True,
            path="/",
            secure=services(request).settings.secure_cookies,
        )
    return response
