"""Two pairwise apps in different sectors see nothing that is the same for the same citizen
(OIDC Core §8.1): not in their ID tokens, access tokens, userinfo, introspection or logout
tokens. The review found the internal user id (`uid`) in every access token, and the SSO
session id (`sid`) is the same for every app of one sign-in."""

from __future__ import annotations

from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.oidc_rp import code_flow, exchange, register
from tests.receiver import Receiver

PASSWORD = "kata-sandi-rahasia"
# Claims every app shares by their nature: the issuer, how and when the citizen signed in,
# what was granted, token types; and the personal data the citizen agreed to give each app.
SHARED_BY_NATURE = {"iss", "acr", "amr", "auth_time", "scope", "token_type", "events", "active"}
CONSENTED = {"name", "preferred_username", "email", "phone_number", "address", "updated_at"}


def _claims(web: Any, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(web.get("/jwks.json").json())
    return dict(jwt.decode(token, keys, algorithms=["RS256", "ES256", "EdDSA"]).claims)


def _strings(seen: dict[str, Any]) -> set[str]:
    return {
        str(v)
        for k, v in seen.items()
        if k not in SHARED_BY_NATURE | CONSENTED and isinstance(v, str | list) and v
    }


def test_two_pairwise_apps_share_no_identifier_of_the_citizen(web, services):
    services.users.create(username="rina", password=PASSWORD, email="rina@example.id")
    receiver = Receiver()
    try:
        seen: list[set[str]] = []
        apps = []
        for host in ("ktp.example.go.id", "sehat.example.go.id"):
            c = register(
                services,
                subject_type="pairwise",
                redirect_uri=f"https://{host}/cb",
                backchannel_logout_uri=receiver.url,
            )
            apps.append(c)
        for c in apps:
            cb, _p, verifier = code_flow(web, c, "rina", PASSWORD)
            tokens = exchange(web, c, cb["code"], verifier).json()
            values: set[str] = set()
            values |= _strings(_claims(web, tokens["id_token"]))
            values |= _strings(_claims(web, tokens["access_token"]))
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            values |= _strings(web.get("/userinfo", headers=bearer).json())
            for token in (tokens["access_token"], tokens["refresh_token"]):
                r = web.post("/introspect", data={"token": token}, auth=(c.client_id, c.secret))
                values |= _strings(r.json())
            values -= {c.client_id}
            seen.append(values)
        # One sign-out: each app's logout token.
        sid = services.sessions.for_user(services.users.find_by_login("rina").id)[0].sid
        services.logout.end(sid, actor="test")
        services.logout.deliver_due()
        tokens_by_app = {}
        for body in receiver.received:
            claims = _claims(web, body["logout_token"])
            tokens_by_app[claims["aud"]] = _strings(claims) - {claims["aud"]}
        assert len(tokens_by_app) == 2
        for i, c in enumerate(apps):
            seen[i] |= tokens_by_app[c.client_id]
        assert not seen[0] & seen[1], f"the same for both apps: {seen[0] & seen[1]}"
    finally:
        receiver.close()
