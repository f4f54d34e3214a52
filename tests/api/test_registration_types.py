"""Dynamic Client Registration (RFC 7591) with metadata of the wrong JSON type or holding
characters no metadata may hold: invalid_client_metadata (or invalid_redirect_uri), never a
500, and no client is stored."""

from __future__ import annotations

import json

import pytest

from idp.errors import InvalidInput
from idp.oauth.client_metadata import validate_redirect_uri

CB = ["https://app.example/cb"]


@pytest.mark.parametrize(
    "body,error",
    [
        ({"redirect_uris": 5}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://app.example/cb"}, "invalid_redirect_uri"),
        ({"redirect_uris": CB, "grant_types": 5}, "invalid_client_metadata"),
        ({"redirect_uris": CB, "scope": ["openid"]}, "invalid_client_metadata"),
        ({"redirect_uris": CB, "contacts": "\ud800"}, "invalid_client_metadata"),
        ({"redirect_uris": CB, "client_name": "Dinas\x00"}, "invalid_client_metadata"),
        ({"redirect_uris": CB, "jwks": {"keys": ["\x00"]}}, "invalid_client_metadata"),
        ({"redirect_uris": ["https://app.example/cb\r\nSet-Cookie: a=b"]}, "invalid_redirect_uri"),
    ],
    ids=[
        "uris-number",
        "uris-string",
        "grants-number",
        "scope-list",
        "lone-surrogate",
        "nul-in-name",
        "nul-in-jwks",
        "crlf-in-uri",
    ],
)
def test_metadata_of_the_wrong_type_is_refused(web, services, body, error):
    token = services.registration.issue_initial_token(org_id=None)
    r = web.post(
        "/register",
        content=json.dumps(body).encode(),  # ASCII, a lone surrogate as its \\u escape
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"] == error
    assert services.clients.list() == []


def test_a_redirect_uri_with_a_tab_or_line_break_is_refused_at_registration():
    # urlsplit drops them before it parses, so the URI looked valid and was stored as sent.
    for uri in ("https://app.example/c\tb", "https://app.example/cb\n", "https://a pp.example/"):
        with pytest.raises(InvalidInput):
            validate_redirect_uri(uri)


@pytest.mark.parametrize(
    "uri,said",
    [
        ("https://dinas-ä.example/cb#x", "https://dinas-%C3%A4.example/cb#x"),
        ("https://app.example/cb#ä", "https://app.example/cb#%C3%A4"),
        ('https://app.example/"cb"#x', "redirect_uri is invalid"),
    ],
)
def test_an_error_description_quoting_a_uri_stays_within_its_grammar(web, services, uri, said):
    # RFC 6749 §5.2 / RFC 7591 §3.2.2: error_description is ASCII without '"' or '\'. The
    # URI the message quotes is percent-encoded where it holds anything else.
    token = services.registration.issue_initial_token(org_id=None)
    r = web.post(
        "/register",
        json={"redirect_uris": [uri]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert r.status_code == 400, r.text
    described = r.json()["error_description"]
    assert said in described
    assert all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in described), described
    assert services.clients.list() == []
