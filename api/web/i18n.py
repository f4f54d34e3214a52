"""Languages: Bahasa Indonesia (default) and English, through Babel catalogs.

Choice order: the language the user picked on a page (cookie), then the request's `ui_locales`,
then `Accept-Language`, then Indonesian. The catalogs are compiled in memory at start-up, so
no build step is needed.
"""

from __future__ import annotations

import io
from gettext import NullTranslations
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("id", "en")
DEFAULT = "id"
LANG_COOKIE = "satupintu_lang"
_DIR = Path(__file__).parent.parent / "locale"


def load_catalogs() -> dict[str, NullTranslations]:
    out: dict[str, NullTranslations] = {"en": NullTranslations()}
    for locale in LOCALES:
        po = _DIR / locale / "LC_MESSAGES" / "messages.po"
        if not po.exists():
            continue
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        out[locale] = Translations(fp=buf)
    return out


def _from_list(values: str) -> str | None:
    for part in values.replace(",", " ").split():
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in LOCALES:
            return base
        if base == "in":  # legacy code for Indonesian
            return "id"
    return None


def negotiate(ui_locales: str | None, cookie: str | None, accept_language: str | None) -> str:
    # The citizen's own click on the language switch outranks what the app asked for: an app
    # cannot know that this reader prefers the other language, and a switch that does nothing
    # is broken.
    if cookie in LOCALES:
        return str(cookie)
    if ui_locales and (found := _from_list(ui_locales)):
        return found
    if accept_language:
        ranked = sorted(
            (p for p in accept_language.split(",") if p.strip()),
            key=lambda p: -_quality(p),
        )
        if found := _from_list(" ".join(p.split(";")[0] for p in ranked)):
            return found
    return DEFAULT


def _quality(part: str) -> float:
    for param in part.split(";")[1:]:
        k, _, v = param.strip().partition("=")
        if k == "q":
            try:
                return float(v)
            except ValueError:
                return 0.0
    return 1.0
