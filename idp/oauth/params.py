"""The syntax of OAuth 2.0 request parameters (RFC 6749 Appendix A), checked before Authlib
reads a request.

Authlib puts some parameter values into its error descriptions (`The response type '...' is
not supported`, `Redirect URI ... is not supported by client.`), and its error class refuses a
description holding a character outside RFC 6749's set (ValueError: "Error description
contains forbidden characters"). A request whose parameters fit their grammar never reaches
that; one that does not is an invalid_request that names the parameter and not its value.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

from authlib.oauth2.rfc6749 import InvalidClientError

from idp.oauth.uris import is_iri

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
NOT_TEXT = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def malformed(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of the first parameter that does not fit its grammar (its name or value holds
    a character none may hold, or it is one of GRAMMAR's and does not match), else None."""
    for name, value in pairs:
        if NOT_TEXT.search(name) or NOT_TEXT.search(value):
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


def check_basic_credentials(authorization: str) -> None:
    """A Basic Authorization header must carry base64 of UTF-8 text (RFC 6749 §2.3.1, RFC
    7617 §2.1). When it does not, invalid_client (401: the client tried the header), where
    Authlib's own reading of the header would raise UnicodeDecodeError or ValueError."""
    parts = authorization.split(None, 1)  # as Authlib splits it
    if len(parts) < 2 and " " in authorization:
        # A scheme and no credentials ("Basic "): Authlib's split into two would raise.
        raise InvalidClientError(status_code=401, description="The Authorization header is empty.")
    if len(parts) != 2 or parts[0].lower() != "basic":
        return
    try:
        # As Authlib decodes it (characters outside the alphabet dropped), then as UTF-8.
        base64.b64decode(parts[1]).decode("utf-8")
    except binascii.Error:
        return  # Authlib reads no credentials from it: the client is not authenticated
    except ValueError:  # not ASCII (a str b64decode refuses), or not UTF-8 once decoded
        raise InvalidClientError(
            status_code=401, description="The Basic credentials are not base64 of UTF-8 text."
        ) from None
