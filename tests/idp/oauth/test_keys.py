"""Signing-key rotation with overlap; private keys sealed at rest."""

from __future__ import annotations

from sqlalchemy import select

from idp.oauth.models import SigningKey


def test_rotation_keeps_old_keys_published_until_tokens_expire(services, clock):
    before = {k["kid"] for k in services.keys.jwks()["keys"]}
    token = services.keys.sign({"iss": "x", "sub": "y"}, "RS256")
    new = services.keys.rotate()
    jwks = {k["kid"] for k in services.keys.jwks()["keys"]}
    assert before <= jwks and set(new) <= jwks
    assert services.keys.verify(token)["sub"] == "y"  # old tokens still verify
    assert services.keys.signing_key("RS256").kid in new  # new tokens use the new key
    clock.advance(3600 + 301)
    services.keys._reload()
    jwks = {k["kid"] for k in services.keys.jwks()["keys"]}
    assert jwks == set(new)


def test_private_keys_are_sealed(services):
    with services.db() as s:
        rows = list(s.scalars(select(SigningKey)))
    assert rows
    for row in rows:
        assert b'"d"' not in row.private_jwk_ct and b"kty" not in row.private_jwk_ct
        assert "d" not in row.public_jwk


def test_every_algorithm_signs_tokens_a_standard_library_verifies(services):
    from joserfc import jwt
    from joserfc.jwk import KeySet

    public = KeySet.import_key_set(services.keys.jwks())
    claims = {"iss": "x", "sub": "y", "name": "Siti Nurhaliza — Aceh", "exp": 2_000_000_000}
    for alg in ("RS256", "ES256", "EdDSA"):
        for typ in ("JWT", "at+jwt"):
            token = services.keys.sign(dict(claims), alg, typ=typ)
            decoded = jwt.decode(token, public, algorithms=[alg])
            kid = services.keys.signing_key(alg).kid
            assert decoded.header == {"typ": typ, "alg": alg, "kid": kid}
            assert decoded.claims == claims
