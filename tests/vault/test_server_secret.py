"""Pairwise `sub`s, recovery codes and the CSRF key survive KEK rotation, trimming and the move
from the local keyring to Transit: regional apps keep recognising their users."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from api.services import build_services
from api.settings import Settings
from tests.oidc_rp import register
from vault.keystore import SubjectKey
from vault.rewrap import rewrap_all
from vault.server_secret import SUBJECT

CLI = str(Path(sys.executable).parent / "satupintu")


def _pairwise(svc, client_id: str, user_id: str) -> str:
    client = svc.clients.get(client_id)
    assert client is not None and client.subject_type == "pairwise"
    return str(svc.subjects.for_client(client, user_id))


def _cli(settings: Settings, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    env["SATUPINTU_VAR_DIR"] = str(settings.var_dir)
    if settings.database_url:
        env["SATUPINTU_DATABASE_URL"] = settings.database_url
    for name in ("vault_addr", "vault_token", "vault_key"):
        if value := getattr(settings, name):
            env[f"SATUPINTU_{name.upper()}"] = value
    p = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.slow
def test_pairwise_sub_and_recovery_codes_survive_migrate_to_transit(settings, clock, openbao):
    local = build_services(settings, clock=clock)
    try:
        local.keys.ensure()
        user = local.users.create(username="sari", password="rahasia-sekali-1")
        rp = register(local, subject_type="pairwise", redirect_uri="https://simpus.example/cb")
        before = _pairwise(local, rp.client_id, user.sub)
        # A deployment upgraded to this version keeps the pairwise subs it handed out already:
        # the first server secret of a local keyring is its MAC key.
        legacy = local.provider.mac("pairwise-sub", f"simpus.example|{user.sub}".encode())
        assert before == base64.urlsafe_b64encode(legacy).rstrip(b"=").decode()
        codes = local.factors.recovery.generate(user.sub, actor=user.sub)
        csrf_before = local.csrf_key
    finally:
        local.close()

    transit_settings = settings.model_copy(
        update={
            "vault_addr": openbao.addr,
            "vault_token": openbao.token,
            "vault_key": openbao.fresh_key(),
        }
    )
    done = _cli(transit_settings, "vault", "migrate-to-transit")
    assert done["complete"] and done["users_reindexed"] == 1

    transit = build_services(transit_settings, clock=clock)
    try:
        with transit.db() as s:
            wrapped = s.scalar(select(SubjectKey.wrapped_dek).where(SubjectKey.subject == SUBJECT))
        assert wrapped is not None and wrapped.startswith(b"vault:v1:")
        assert _pairwise(transit, rp.client_id, user.sub) == before
        assert transit.csrf_key == csrf_before  # open forms stay valid across the switch
        assert transit.factors.recovery.use(user.sub, codes[0])

        # Then a KEK rotation with everything re-wrapped and old versions destroyed.
        transit.provider.rotate()
        assert rewrap_all(transit.cipher.store, transit.provider).complete
        transit.provider.set_min_decryption_version(2)
        transit.provider.trim()
    finally:
        transit.close()
    fresh = build_services(transit_settings, clock=clock)  # unwraps the secret anew
    try:
        assert _pairwise(fresh, rp.client_id, user.sub) == before
        assert fresh.factors.recovery.use(user.sub, codes[1])
    finally:
        fresh.close()


def test_pairwise_sub_survives_kek_rotation_and_trim(vsettings, clock):
    svc = build_services(vsettings, clock=clock)
    try:
        user = svc.users.create(username="tono", password="rahasia-sekali-1")
        rp = register(svc, subject_type="pairwise", redirect_uri="https://a.example/cb")
        other = register(svc, subject_type="pairwise", redirect_uri="https://b.example/cb")
        before = _pairwise(svc, rp.client_id, user.sub)
        assert before != _pairwise(svc, other.client_id, user.sub)  # still pairwise per sector
        svc.provider.rotate()
        assert rewrap_all(svc.cipher.store, svc.provider).complete
        svc.provider.set_min_decryption_version(2)
        assert svc.provider.trim() == 1
    finally:
        svc.close()
    again = build_services(vsettings, clock=clock)
    try:
        assert _pairwise(again, rp.client_id, user.sub) == before
    finally:
        again.close()


def test_server_secret_is_never_stored_in_plaintext(vsettings, clock):
    svc = build_services(vsettings, clock=clock)
    try:
        root = svc.subjects._mac.root()
        with svc.db() as s:
            wrapped = s.scalar(select(SubjectKey.wrapped_dek).where(SubjectKey.subject == SUBJECT))
        assert wrapped is not None and len(root) == 32
        forms = [root, base64.b64encode(root), root.hex().encode(), base64.b64encode(root)[:20]]
        assert not any(form in wrapped for form in forms)
        prefix = b"vault:v" if vsettings.vault_addr else b"local:v"
        assert wrapped.startswith(prefix)
    finally:
        svc.close()
