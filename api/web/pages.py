"""HTML pages: Jinja2 templates rendered in the visitor's language, never cached."""

from __future__ import annotations

from gettext import NullTranslations
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from api.web.csrf import CsrfGuard
from api.web.devices import device_name
from api.web.i18n import LANG_COOKIE, load_catalogs, negotiate

_TEMPLATES = Path(__file__).parent.parent / "templates"

# The failure pages many routes answer with: what the visitor reads, the status, and the error
# code shown beneath it (a caller may name a more precise one).
Failure = Literal["bad_form", "bad_app_request", "expired", "csrf", "unavailable"]
FAILURES: dict[Failure, tuple[str, int, str]] = {
    "bad_form": ("The request could not be completed.", 400, "invalid_request"),
    "bad_app_request": ("The application sent an invalid request.", 400, "invalid_request"),
    "expired": (
        "This sign-in request has expired. Go back to the application and start again.",
        400,
        "interaction_expired",
    ),
    "csrf": ("The form expired. Please try again.", 403, "csrf"),
    "unavailable": (
        "The service is temporarily unavailable. Please try again in a moment.",
        503,
        "temporarily_unavailable",
    ),
}


def address(path: str, **params: str | None) -> str:
    """A page's own address with its non-empty query parameters (for the language switch)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{query}" if query else path


class Pages:
    def __init__(self, csrf: CsrfGuard) -> None:
        self.csrf = csrf
        self.catalogs: dict[str, NullTranslations] = load_catalogs()
        self.env = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )
        self.env.filters["device"] = device_name

    def lang(self, request: Request, ui_locales: str | None = None) -> str:
        ui = ui_locales if ui_locales is not None else request.query_params.get("ui_locales")
        return negotiate(
            ui, request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )

    def gettext(self, lang: str) -> NullTranslations:
        return self.catalogs.get(lang) or NullTranslations()

    def text(self, request: Request, message: str, lang: str | None = None) -> str:
        return self.gettext(lang or self.lang(request)).gettext(message)

    def render(
        self,
        request: Request,
        template: str,
        *,
        status: int = 200,
        lang: str | None = None,
        csrf_purpose: str | None = None,
        here: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """`here` is where the language switch comes back to. A page answering a POST has no
        such address unless the caller names one (the POST's path may have no GET at all):
        without it the switch is left out rather than leading to an error."""
        lang = lang or self.lang(request)
        translations = self.gettext(lang)
        if csrf_purpose:
            context["csrf"] = self.csrf.token(request, csrf_purpose)
        if here is None and request.method in ("GET", "HEAD"):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        env = self.env.overlay()
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        html = env.get_template(template).render(lang=lang, here=here, **context)
        response = HTMLResponse(html, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Content-Language"] = lang
        self.csrf.set_cookie(request, response)
        return response

    def failure(
        self, request: Request, kind: Failure, *, code: str | None = None, lang: str | None = None
    ) -> HTMLResponse:
        """One of the shared FAILURES pages, under the title "Something went wrong"."""
        message, status, default_code = FAILURES[kind]
        return self.error(
            request,
            "Something went wrong",
            message,
            status=status,
            code=code or default_code,
            lang=lang,
        )

    def error(
        self,
        request: Request,
        title: str,
        message: str,
        *,
        status: int = 400,
        code: str | None = None,
        lang: str | None = None,
    ) -> HTMLResponse:
        lang = lang or self.lang(request)
        t = self.gettext(lang)
        return self.render(
            request,
            "error.html",
            status=status,
            lang=lang,
            title=t.gettext(title),
            message=t.gettext(message),
            code=code,
        )
