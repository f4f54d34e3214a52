"""Client ids are typed into shells: none may start with "-", which a shell command reads as an
option."""

from __future__ import annotations

import secrets

from idp import secrets as idp_secrets


def test_no_identifier_starts_with_a_dash():
    # One base64url value in 64 starts with "-": 5,000 draws would hold ~78 of them.
    drawn = [idp_secrets.new_identifier() for _ in range(5000)]
    assert not [v for v in drawn if v.startswith("-")]
    assert len(set(drawn)) == len(drawn) and {len(v) for v in drawn} == {22}


def test_a_client_drawn_with_a_dash_gets_another_id(services, monkeypatch):
    draws = iter(["-Ydash-looks-like-an-option", "Yfine-client-id"])
    real = secrets.token_urlsafe
    monkeypatch.setattr(
        idp_secrets.secrets, "token_urlsafe", lambda n=None: next(draws, None) or real(n)
    )
    # A public client draws no secret, so the id takes both draws.
    client, _secret = services.clients.create(
        name="SIMPUS", metadata={"redirect_uris": ["https://simpus.example/cb"]}, public=True
    )
    assert client.client_id == "Yfine-client-id"
    assert services.clients.get("Yfine-client-id") is not None
