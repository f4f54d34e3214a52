"""Characters of URIs and of the parameters that carry them.

A client may register an internationalised redirect URI (an IRI, RFC 3987): it is matched as
the exact string it was registered as, and sent back in a Location header as the URI that IRI
maps to (RFC 3987 §3.1: every character outside ASCII, and any that may not stand in a URI,
percent-encoded as UTF-8), so the header is ASCII and nothing in it can end a header line.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# RFC 3986's reserved and unreserved characters, and "%" of an existing escape: kept as they
# are. Everything else (controls, space, '"<>\^`{|}', non-ASCII) is percent-encoded.
_URI_CHARS = "!#$%&'()*+,/:;=?@[]~-._"

# What an IRI may not contain anywhere (RFC 3987 §2.2; RFC 3986 §2): controls (C0, DEL, C1),
# space, the delimiters '"<>\^`{|}', and lone surrogates, which no UTF-8 can carry.
_NOT_IN_IRI = re.compile(r'[\x00-\x20\x7f-\x9f"<>\\^`{|}\ud800-\udfff]')


def ascii_uri(iri: str) -> str:
    """The URI an IRI maps to (RFC 3987 §3.1): ASCII only, safe in a header."""
    if iri.isascii() and _NOT_IN_IRI.search(iri) is None:
        return iri
    return quote(iri, safe=_URI_CHARS, errors="surrogatepass")


def is_iri(value: str) -> bool:
    """Whether `value` holds only characters an IRI may hold (its syntax is checked apart)."""
    return _NOT_IN_IRI.search(value) is None
