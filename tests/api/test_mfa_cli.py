"""Operator CLI for MFA: provision TOTP for assisted-service accounts, client and org rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyotp

from api.services import build_services
from api.settings import Settings

CLI = str(Path(sys.executable).parent / "satupintu")


def test_enroll_totp_and_mfa_rules(tmp_path):
    env = {**os.environ, "SATUPINTU_VAR_DIR": str(tmp_path), "SATUPINTU_ARGON2_MEMORY_COST": "8192"}

    def run(*args: str, ok: bool = True):
        p = subprocess.run(
            [CLI, *args, "--json"], capture_output=True, text=True, env=env, timeout=60
        )
        assert (p.returncode == 0) == ok, p.stderr
        return json.loads(p.stdout if ok else p.stderr)

    run("migrate")
    user = run("users", "create", "--username", "petugas1", "--password", "kata-sandi-rahasia")
    out = run("users", "enroll-totp", "--username", "petugas1")
    assert out["sub"] == user["sub"]
    assert out["otpauth_uri"].startswith(
        "otpauth://totp/SatuPintu:petugas1?secret=" + out["secret"]
    )
    assert "error" in run("users", "enroll-totp", "--username", "petugas1", ok=False)

    org = run("orgs", "create", "--name", "Dinas Sosial")
    assert run("orgs", "update", org["id"], "--require-mfa")["require_mfa"] is True
    client = run("clients", "create", "--name", "SIKS", "--redirect-uri", "https://siks.example/cb")
    updated = run(
        "clients", "update", client["client_id"], "--require-mfa", "--acr", "urn:satupintu:acr:mfa"
    )
    assert updated["require_mfa"] is True
    assert updated["default_acr_values"] == ["urn:satupintu:acr:mfa"]
    assert run("clients", "update", client["client_id"], "--no-require-mfa")["require_mfa"] is False

    svc = build_services(Settings(var_dir=tmp_path, argon2_memory_cost=8192))
    try:
        assert svc.factors.totp.verify(user["sub"], pyotp.TOTP(out["secret"]).now())
        assert svc.mfa.org_requires(org["id"])
    finally:
        svc.close()
