"""What the pages share about their forms: the posted form read or refused, and a refused
field's message in the visitor's language."""

from __future__ import annotations

from fastapi import Request

from api.adapter import BadForm, read_form
from api.web.pages import Pages
from idp.accounts.password_policy import WeakPassword

PASSWORD_TEXT = {
    "too_short": "The password must be at least %(n)s characters long.",
    "too_long": "The password must be at most %(n)s characters long.",
    "common": "This password is too common or has appeared in a data breach. Choose another.",
    "contains_identity": "The password must not contain your username, email or NIK.",
}


def input_text(pg: Pages, lang: str, exc: Exception, min_length: int = 8) -> str:
    """The visitor's-language message for a refused form field."""
    t = pg.gettext(lang)
    if isinstance(exc, WeakPassword):
        n = 256 if exc.reason == "too_long" else min_length
        return t.gettext(PASSWORD_TEXT[exc.reason]) % {"n": n}
    return t.gettext(str(exc))


async def page_form(request: Request) -> dict[str, str] | None:
    """The posted urlencoded form, or None when the body is not one."""
    try:
        return dict(await read_form(request))
    except BadForm:
        return None
