"""`satupintu vault ...` and `users erase`, run as an operator runs them, and the documented
migration of a local-keyring deployment to Transit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from api.services import build_services
from api.settings import Settings

CLI = str(Path(sys.executable).parent / "satupintu")
pytestmark = pytest.mark.slow


def _runner(env: dict[str, str]):
    def run(*args: str, ok: bool = True) -> dict:
        p = subprocess.run(
            [CLI, *args, "--json"], capture_output=True, text=True, env=env, timeout=120
        )
        assert (p.returncode == 0) == ok, p.stderr
        return json.loads(p.stdout if ok else p.stderr)

    return run


@pytest.fixture
def base_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    return {**env, "SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_ARGON2_MEMORY_COST": "8192"}


@pytest.mark.parametrize("keys", ["local", "transit"])
def test_vault_commands(keys, base_env, request):
    env = dict(base_env)
    if keys == "transit":
        bao = request.getfixturevalue("openbao")
        env |= {
            "SATUPINTU_VAULT_ADDR": bao.addr,
            "SATUPINTU_VAULT_TOKEN": bao.token,
            "SATUPINTU_VAULT_KEY": bao.fresh_key(),
        }
    cli = _runner(env)
    cli("migrate")
    sub = cli("users", "create", "--username", "dewi", "--email", "dewi@example.id")["sub"]
    cli("users", "create", "--username", "eko", "--nik", "3171014502900099")
    st = cli("vault", "status")
    assert st["provider"] == keys and st["reachable"] and st["latest_version"] == 1
    # two users + signing keys + the server secret
    assert sum(st["data_keys_by_version"].values()) == 4
    assert st["dek_cache"]["max_size"] == 10_000
    assert cli("vault", "rotate")["latest_version"] == 2
    refused = cli("vault", "set-min-version", "2", ok=False)
    assert "rewrap first" in refused["error"]
    partial = cli("vault", "rewrap", "--batch-size", "1", "--max-batches", "2")
    assert partial["rewrapped"] == 2 and not partial["complete"]
    rest = cli("vault", "rewrap")
    assert rest["complete"] and rest["skipped"] == 2 and rest["rewrapped"] == 2
    assert cli("vault", "set-min-version", "2", "--trim")["min_decryption_version"] == 2
    st = cli("vault", "status")
    prefix = "vault" if keys == "transit" else "local"
    assert st["data_keys_by_version"] == {f"{prefix}:v2": 4}
    assert cli("users", "erase", "--username", "dewi@example.id") == {"erased": sub}
    assert len(cli("users", "list")) == 2
    assert cli("vault", "status")["data_keys_by_version"] == {f"{prefix}:v2": 3}


def test_users_list_survives_an_erased_user(base_env):
    cli = _runner(base_env)
    cli("migrate")
    sub = cli("users", "create", "--username", "fajar")["sub"]
    cli("users", "create", "--username", "gita")
    cli("vault", "shred", sub)
    listed = {u["sub"]: u["username"] for u in cli("users", "list")}
    assert listed[sub] is None and "gita" in listed.values()


def test_migrate_local_deployment_to_transit(base_env, openbao, tmp_path):
    local = _runner(base_env)
    local("migrate")
    citizen = local(
        "users", "create", "--username", "hana", "--nik", "3171014502900055",
        "--email", "Hana@Example.id", "--password", "rahasia-sekali-1",
    )["sub"]  # fmt: skip
    env = base_env | {
        "SATUPINTU_VAULT_ADDR": openbao.addr,
        "SATUPINTU_VAULT_TOKEN": openbao.token,
        "SATUPINTU_VAULT_KEY": openbao.fresh_key(),
    }
    transit = _runner(env)
    first = transit("vault", "migrate-to-transit", "--batch-size", "1", "--max-batches", "1")
    assert first["data_keys"]["rewrapped"] == 1 and not first["complete"]
    done = transit("vault", "migrate-to-transit")
    # The server secret moved before the first batch, then one data key per batch.
    assert done["complete"] and done["data_keys"]["skipped"] == 2 and done["users_reindexed"] == 1
    again = transit("vault", "migrate-to-transit")  # idempotent
    assert again["complete"] and again["data_keys"]["rewrapped"] == 0
    assert transit("vault", "status")["data_keys_by_version"] == {"vault:v1": 3}

    settings = Settings(
        var_dir=tmp_path,
        argon2_memory_cost=8192,
        vault_addr=env["SATUPINTU_VAULT_ADDR"],
        vault_token=env["SATUPINTU_VAULT_TOKEN"],
        vault_key=env["SATUPINTU_VAULT_KEY"],
    )
    svc = build_services(settings)
    try:
        assert svc.provider.name == "transit"
        # Logins by NIK and email go through the Transit-keyed blind indexes now.
        assert svc.users.authenticate("3171014502900055", "rahasia-sekali-1").id == citizen
        assert svc.users.authenticate("hana@example.id", "rahasia-sekali-1").id == citizen
        svc.keys.ensure()
        assert svc.keys.sign({"sub": "x"})  # signing keys' DEK moved too
    finally:
        svc.close()
