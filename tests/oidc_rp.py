"""A small relying party for tests: drives the browser side of the code flow through the
in-process client and validates what comes back, as a regional app would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


@dataclass
class Registered:
    client_id: str
    secret: str | None
    redirect_uri: str
    extra: dict[str, Any] = field(default_factory=dict)


def register(
    services: Any,
    *,
    public: bool = False,
    scope: str = "openid profile email offline_access",
    **meta: Any,
) -> Registered:
    redirect = meta.pop("redirect_uri", "https://app.example/cb")
    client, secret = services.clients.create(
        name=meta.pop("name", "Aplikasi Uji"),
        metadata={
            "redirect_uris": [redirect],
            "scope": scope,
            "grant_types": meta.pop("grant_types", ["authorization_code", "refresh_token"]),
            **meta,
        },
        public=public,
    )
    return Registered(client.client_id, secret, redirect)


def authorize_url(
    c: Registered,
    *,
    scope: str = "openid profile email offline_access",
    challenge: str | None = None,
    **extra: str,
) -> tuple[str, dict[str, str]]:
    params = {
        "response_type": "code",
        "client_id": c.client_id,
        "redirect_uri": c.redirect_uri,
        "scope": scope,
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
    }
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    params.update(extra)
    return "/authorize?" + urlencode(params), params


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def login(web: Any, location: str, username: str, password: str) -> Any:
    """Follow a redirect to the login page, submit the form, return the response."""
    page = web.get(location)
    assert page.status_code == 200, page.text
    iid = query_of(location).get("interaction", "")
    return web.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_of(page.text),
            "interaction": iid,
        },
    )


def follow_to_client(web: Any, resp: Any, *, approve: bool = True) -> dict[str, str]:
    """Follow our own redirects (resume, consent) until one leaves for the client."""
    for _ in range(6):
        assert resp.status_code in (302, 303), resp.text
        loc = resp.headers["location"]
        if loc.startswith("https://") or not loc.startswith(("/", "http://localhost:8000")):
            return query_of(loc)
        path = loc.replace("http://localhost:8000", "")
        if path.startswith("/consent"):
            page = web.get(path)
            assert page.status_code == 200, page.text
            resp = web.post(
                "/consent",
                data={
                    "csrf_token": csrf_of(page.text),
                    "interaction": query_of(path)["interaction"],
                    "decision": "approve" if approve else "deny",
                },
            )
            continue
        resp = web.get(path)
    raise AssertionError("too many redirects")


def code_flow(
    web: Any, c: Registered, username: str, password: str, **extra: str
) -> tuple[dict[str, str], dict[str, str], str]:
    """Full login: returns (callback params, request params, code_verifier)."""
    verifier, challenge = pkce()
    url, params = authorize_url(c, challenge=challenge, **extra)
    resp = web.get(url)
    if resp.headers.get("location", "").startswith("/login"):
        resp = login(web, resp.headers["location"], username, password)
    return follow_to_client(web, resp), params, verifier


def exchange(web: Any, c: Registered, code: str, verifier: str | None) -> Any:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": c.redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    if c.secret:
        return web.post("/token", data=data, auth=(c.client_id, c.secret))
    data["client_id"] = c.client_id
    return web.post("/token", data=data)


def validate_id_token(web: Any, token: str, c: Registered, nonce: str | None) -> dict[str, Any]:
    jwks = KeySet.import_key_set(web.get("/jwks.json").json())
    decoded = jwt.decode(token, jwks, algorithms=["RS256", "ES256", "EdDSA"])
    claims = dict(decoded.claims)
    assert claims["iss"] == "http://localhost:8000"
    assert claims["aud"] == c.client_id
    if nonce:
        assert claims["nonce"] == nonce
    return claims


@dataclass
class SignedIn:
    """What an app holds after a login: the validated id_token's claims, userinfo, the tokens."""

    id_token: dict[str, Any]
    userinfo: dict[str, Any]
    tokens: dict[str, Any]


def sign_in_and_read_claims(
    web: Any,
    c: Registered,
    username: str,
    password: str,
    scope: str = "openid profile email offline_access",
) -> SignedIn:
    """Log `username` in at `c`, redeem the code, validate the id_token, read userinfo."""
    cb, params, verifier = code_flow(web, c, username, password, scope=scope)
    token = exchange(web, c, cb["code"], verifier)
    assert token.status_code == 200, token.text
    body = token.json()
    claims = validate_id_token(web, body["id_token"], c, params["nonce"])
    info = web.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200, info.text
    return SignedIn(claims, info.json(), body)
