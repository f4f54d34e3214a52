"""The home page: a signed-in citizen's welcome, or the way to sign in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.adapter import client_ip
from api.assurance import Assurance, assurance, session_of
from api.deps import pages, services
from api.surfaces import BrowserRoute

router = APIRouter(route_class=BrowserRoute)


@router.get("/")
@assurance(Assurance.SESSION)
def home(request: Request) -> Response:
    svc, pg = services(request), pages(request)
    session = session_of(request, svc)
    lang = pg.lang(request)
    t = pg.gettext(lang)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    return pg.render(
        request,
        "message.html",
        lang=lang,
        title=t.gettext("You are signed in"),
        message=t.gettext("Welcome to SatuPintu."),
        show_logout=True,
        remote=client_ip(request),
    )
