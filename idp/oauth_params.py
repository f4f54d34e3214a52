"""The syntax of OAuth 2.0 request parameters (RFC 6749 Appendix A), checked before Authlib
reads a request.

Authlib puts some parameter values into its error descriptions (`The response type '...' is
not supported`, `Redirect URI ... is not supported by client.`), and its error class refuses a
description holding a character outside RFC 6749's set (ValueError: "Error description
contains forbidden characters"). A request whose parameters fit their grammar never reaches
that; one that does not is an invalid_request that names the parameter and not its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from idp.uris import is_iri

_VSCHAR = r"[\x20-\x7e]"
_NQCHAR = r"[\x21\x23-\x5b\x5d-\x7e]"

GRAMMAR: dict[str, re.Pattern[str]] = {
    "client_id": re.compile(f"{_VSCHAR}*"),
    "response_type": re.compile(r"[A-Za-z0-9_]+(?: [A-Za-z0-9_]+)*"),
    "scope": re.compile(f"(?:{_NQCHAR}+(?: {_NQCHAR}+)*)?"),
    "state": re.compile(f"{_VSCHAR}*"),
    "grant_type": re.compile(f"{_NQCHAR}+"),
    "token_type_hint": re.compile(r"[A-Za-z0-9_.-]*"),
}

# The names an error description may repeat back.
KNOWN = frozenset({*GRAMMAR, "redirect_uri"})

# No parameter, named in the RFCs or not, holds a control character (C0, DEL, C1) or a lone
# surrogate: none is text anyone types, and a NUL cannot even be stored in PostgreSQL.
_NEVER = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def malformed(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first parameter that does not fit its grammar (its name or value holds
    a character none may hold, or it is one of GRAMMAR's and does not match), else None."""
    for name, value in pairs:
        if _NEVER.search(name) or _NEVER.search(value):
            return name
        grammar = GRAMMAR.get(name)
        if grammar is not None and grammar.fullmatch(value) is None:
            return name
        if name == "redirect_uri" and not is_iri(value):
            return name
    return None


def description(name: str) -> str:
    """The error_description for `malformed`'s answer, in RFC 6749's character set."""
    if name in KNOWN:
        return f"The {name} parameter is malformed."
    return "A request parameter holds characters no parameter may hold."
