"""The JSON types of the client metadata a client registers itself (RFC 7591 §2), checked
before the values are read: a number where a list of URIs belongs, or a string no database
can store (NUL, which PostgreSQL refuses; a lone surrogate, which no UTF-8 can carry), is
invalid_client_metadata rather than a TypeError, or a client stored whose registration
response cannot be written."""

from __future__ import annotations

from typing import Any

from idp.errors import InvalidInput
from idp.oauth.params import NOT_TEXT

LISTS_OF_STRINGS = frozenset(
    {"redirect_uris", "post_logout_redirect_uris", "grant_types", "contacts"}
)
OBJECTS = frozenset({"jwks"})
BOOLEANS = frozenset({"id_token_scope_claims"})
MAX_LIST = 20
MAX_DEPTH = 8


def check_metadata_types(body: dict[str, Any]) -> None:
    """InvalidInput naming the first field whose JSON type is not RFC 7591's: lists of
    strings, the jwks object, booleans, and strings for everything else; no string anywhere (names
    included) holding a control character or a lone surrogate."""
    for key, value in body.items():
        _check_text(value, key)
        if key in LISTS_OF_STRINGS:
            ok = isinstance(value, list) and len(value) <= MAX_LIST
            ok = ok and all(isinstance(v, str) for v in value)
        elif key in OBJECTS:
            ok = isinstance(value, dict)
        elif key in BOOLEANS:
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, str)
        if not ok:
            kind = (
                "a list of strings"
                if key in LISTS_OF_STRINGS
                else "an object"
                if key in OBJECTS
                else "true or false"
                if key in BOOLEANS
                else "a string"
            )
            raise InvalidInput(f"{key} must be {kind}")


def _check_text(value: Any, key: str, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise InvalidInput(f"{key} is nested too deeply")
    if isinstance(value, str):
        if NOT_TEXT.search(value):
            raise InvalidInput(f"{key} holds characters no metadata may hold")
    elif isinstance(value, list):
        for item in value:
            _check_text(item, key, depth + 1)
    elif isinstance(value, dict):
        for name, item in value.items():
            _check_text(name, key, depth + 1)
            _check_text(item, key, depth + 1)
