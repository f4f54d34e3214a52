"""The one-message pages: a notice in the visitor's language, and the one answer to an emailed
link that is wrong, used or expired."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from api.web.pages import Pages


def message_page(request: Request, pg: Pages, title: str, text: str, status: int = 200) -> Response:
    lang = pg.lang(request)
    t = pg.gettext(lang)
    return pg.render(
        request,
        "message.html",
        status=status,
        lang=lang,
        title=t.gettext(title),
        message=t.gettext(text),
    )


def dead_link(request: Request, pg: Pages) -> Response:
    """An emailed link that is wrong, used or expired: one answer, never which of the three."""
    return message_page(
        request,
        pg,
        "This link does not work",
        "The link is invalid, was already used or has expired.",
        status=400,
    )
