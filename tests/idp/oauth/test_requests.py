"""The OAuth request our web adapter hands to Authlib."""

from __future__ import annotations

import pytest
from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Request

from idp.oauth.requests import HttpRequest, OAuthRequest, check_transport


def test_oauth_request_sets_everything_authlibs_own_constructor_sets():
    theirs = OAuth2Request("POST", "https://sso.example.go.id/token", headers={})
    ours = OAuthRequest(HttpRequest("POST", "https://sso.example.go.id/token", {}), lambda: None)  # type: ignore[arg-type,return-value]
    missing = set(vars(theirs)) - set(vars(ours))
    assert not missing, f"OAuthRequest no longer sets {missing}: follow OAuth2Request.__init__"
    for name in vars(theirs):
        if name not in ("method", "uri", "headers", "payload"):
            assert getattr(ours, name) == getattr(theirs, name), name


@pytest.mark.parametrize(
    "uri",
    [
        "https://sso.example.go.id/token",
        "https://sso.example.go.id",
        "http://127.0.0.1:8000/authorize?client_id=a&redirect_uri=http://evil.example/",
        "http://localhost/token",
        "http://[::1]:8000/token",
        "http://sso.example.go.id/token",
        "http://10.0.0.5/token",
        "ftp://sso.example.go.id/token",
    ],
)
def test_transport_check_gives_authlibs_verdict(uri):
    if is_secure_transport(uri):
        check_transport(uri)
    else:
        with pytest.raises(InsecureTransportError):
            check_transport(uri)
    with pytest.raises(InsecureTransportError):
        check_transport("http://sso.example.go.id/token")
