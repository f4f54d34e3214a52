"""Hypothesis strategies for hostile HTTP input: text with control characters, NUL and lone
surrogates; bytes that are not UTF-8; percent-encoding that is broken or encodes either; very
long values; repeated parameters; JSON of the wrong types; hostile header values."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import strategies as st

SNIPPETS = [
    "",
    "\x00",
    "\t",
    "\r\n",
    '"',
    "'",
    "\\",
    "<script>",
    "%",
    "%zz",
    "%ff",
    "%C0%AF",
    "%00",
    "\ud800",
    "\udfff",
    "\u202e",
    "\ufeff",
    "ü",
    "ą",
    "\U0001d518",  # outside the BMP
    "\x7f",
    "\x85",
    "a" * 3000,
    "code",
    "openid",
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "https://app.example/cb",
    "https://ü.example/cb",
    "-1",
    "0",
    "1e309",
    "null",
    "[]",
    "{}",
]

# Text of any code point (lone surrogates included), or a hostile snippet, or both joined.
hostile_text = st.one_of(
    st.sampled_from(SNIPPETS),
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    st.tuples(st.sampled_from(SNIPPETS), st.text(max_size=10), st.sampled_from(SNIPPETS)).map(
        "".join
    ),
)


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    """One value as it may arrive on the wire: percent-encoded UTF-8 (valid or not), raw bytes,
    Latin-1, or arbitrary binary."""
    how = draw(st.sampled_from(["quoted", "raw", "latin1", "binary", "plus"]))
    if how == "binary":
        return draw(st.binary(max_size=40))
    text = draw(hostile_text)
    if how == "quoted":
        return quote(_utf8(text), safe=b"").encode()
    if how == "plus":
        return quote(_utf8(text), safe=b"%+ ").encode()
    if how == "latin1":
        return text.encode("latin-1", "replace")
    return _utf8(text)


@st.composite
def form_bytes(draw: st.DrawFn, names: list[str]) -> bytes:
    """An urlencoded query or body over `names` (known ones repeated at times) and others."""
    name = st.one_of(st.sampled_from(names).map(str.encode), hostile_bytes())
    fields = draw(
        st.lists(
            st.tuples(
                name,
                st.one_of(
                    hostile_bytes(),
                    st.sampled_from(
                        [b"code", b"openid", b"client_credentials", b"S256", b"none", b"login"]
                    ),
                ),
            ),
            max_size=8,
        )
    )
    joiner = draw(st.sampled_from([b"&", b";", b"&&"]))
    return joiner.join(k + b"=" + v for k, v in fields)


@st.composite
def authorization_header(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["basic-bytes", "basic-text", "bearer", "raw"]))
    if kind == "basic-bytes":
        return b"Basic " + base64.b64encode(draw(st.binary(max_size=30)))
    if kind == "basic-text":
        user, password = draw(hostile_text), draw(hostile_text)
        return b"Basic " + base64.b64encode(_utf8(f"{user}:{password}"))
    if kind == "bearer":
        return b"Bearer " + draw(hostile_bytes())
    return draw(hostile_bytes())


content_types = st.one_of(
    st.sampled_from(
        [
            b"application/x-www-form-urlencoded",
            b"application/x-www-form-urlencoded; charset=latin-1",
            b"APPLICATION/X-WWW-FORM-URLENCODED",
            b"application/json",
            b"application/json; charset=utf-16",
            b"multipart/form-data; boundary=x",
            b"multipart/form-data",
            b"text/plain",
            b"",
        ]
    ),
    hostile_bytes(),
)

accept_languages = st.one_of(
    st.sampled_from([b"id", b"en-US,en;q=0.9", b"*;q=abc", b"id;q=1e999", b",,,;", b"x" * 500]),
    hostile_bytes(),
)


@st.composite
def headers(draw: st.DrawFn, cookie_names: list[str]) -> list[tuple[bytes, bytes]]:
    """Some of Authorization, Cookie, Content-Type, Accept-Language, Accept, with hostile values."""
    out: list[tuple[bytes, bytes]] = []
    if draw(st.booleans()):
        out.append((b"authorization", draw(authorization_header())))
    if draw(st.booleans()):
        cookies = draw(
            st.lists(
                st.tuples(st.sampled_from(cookie_names).map(str.encode), hostile_bytes()),
                max_size=3,
            )
        )
        out.append((b"cookie", b"; ".join(k + b"=" + v for k, v in cookies)))
    if draw(st.booleans()):
        out.append((b"accept-language", draw(accept_languages)))
    if draw(st.booleans()):
        out.append((b"accept", draw(st.sampled_from([b"text/html", b"*/*", b"\xff"]))))
    return out


# JSON of every shape: what a client's metadata may wrongly hold.
json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        hostile_text,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(hostile_text, inner, max_size=4)
    ),
    max_leaves=8,
)


@st.composite
def json_object_bytes(draw: st.DrawFn, keys: list[str]) -> bytes:
    """A JSON body: usually an object over `keys` with values of any type, at times not an
    object, not JSON or not UTF-8."""
    how = draw(st.sampled_from(["object", "object", "object", "value", "broken"]))
    if how == "broken":
        return draw(st.sampled_from([b"{", b"\xff\xfe{}", b'{"a":1,}', b"[" * 600, b"NaN"]))
    if how == "value":
        value = draw(json_values)
    else:
        value = draw(st.dictionaries(st.sampled_from(keys), json_values, max_size=6))
    return _utf8(json.dumps(value, ensure_ascii=draw(st.booleans())))
