"""The operator CLI, run as an operator runs it: `.venv/bin/satupintu ... --json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from tests.oidc_rp import Registered, sign_in_and_read_claims
from tests.receiver import Receiver

CLI = str(Path(sys.executable).parent / "satupintu")


@pytest.fixture
def cli(tmp_path):
    env = {
        **os.environ,
        "SATUPINTU_VAR_DIR": str(tmp_path),
        "SATUPINTU_ARGON2_MEMORY_COST": "8192",
        "SATUPINTU_OUTBOUND_ALLOW_NETWORKS": "",  # production's default: global unicast only
    }

    def run(*args: str, ok: bool = True) -> dict | list:
        p = subprocess.run(
            [CLI, *args, "--json"], capture_output=True, text=True, env=env, timeout=60
        )
        run.stderr = p.stderr  # type: ignore[attr-defined]
        if ok:
            assert p.returncode == 0, p.stderr
            return json.loads(p.stdout)
        assert p.returncode != 0
        return json.loads(p.stderr.splitlines()[-1])

    run.env = env  # type: ignore[attr-defined]
    run("migrate")
    return run


def test_cli_end_to_end(cli, tmp_path):
    org = cli("orgs", "create", "--name", "Dinas Kesehatan")
    client = cli(
        "clients",
        "create",
        "--name",
        "SIMPUS",
        "--org",
        "Dinas Kesehatan",
        "--redirect-uri",
        "https://simpus.example/cb",
        "--post-logout-redirect-uri",
        "https://simpus.example/",
        "--scope",
        "openid profile email offline_access",
        "--backchannel-logout-uri",
        "https://simpus.example/bc",
        "--subject-type",
        "pairwise",
    )
    assert client["client_id"] and client["client_secret"] and client["org_id"] == org["id"]
    public = cli(
        "clients",
        "create",
        "--name",
        "Mobile",
        "--public",
        "--redirect-uri",
        "id.go.daerah.app:/cb",
    )
    assert "client_secret" not in public and public["token_endpoint_auth_method"] == "none"
    portal = cli(
        "clients",
        "create",
        "--name",
        "Portal",
        "--skip-consent",
        "--redirect-uri",
        "https://portal.example/cb",
    )
    assert portal["skip_consent"] is True and "skip_consent" not in public
    user = cli(
        "users",
        "create",
        "--username",
        "budi",
        "--password",
        "kata-sandi-rahasia",
        "--email",
        "budi@desa.id",
        "--nik",
        "3201011501900001",
        "--name",
        "Budi",
    )
    assert user["sub"]
    assert {c["client_id"] for c in cli("clients", "list")} == {
        client["client_id"],
        public["client_id"],
        portal["client_id"],
    }
    keys = cli("keys", "list")
    assert {k["alg"] for k in keys} == {"RS256", "ES256", "EdDSA"}
    rotated = cli("keys", "rotate")
    assert len(rotated["new_kids"]) == 3
    after = cli("keys", "list")
    assert len(after) == 6 and sum(1 for k in after if k["retired_at"]) == 3
    assert cli("sessions", "list", "--user", "budi@desa.id") == []
    cli("clients", "delete", public["client_id"])
    err = cli("clients", "delete", public["client_id"], ok=False)
    assert "no client" in err["error"]
    err = cli("users", "create", "--username", "x", "--password", "short", ok=False)
    assert "username" in err["error"]
    # Personal data never reaches the database file in the clear.
    raw = (tmp_path / "satupintu.db").read_bytes()
    for secret in (b"budi@desa.id", b"3201011501900001", b"kata-sandi-rahasia"):
        assert secret not in raw


def test_housekeeping_reports_what_it_dropped(cli):
    out = cli("housekeeping")
    assert set(out["dropped"]) >= {"idp_authorization_codes", "idp_rate_counters"}
    assert all(n == 0 for n in out["dropped"].values())  # a fresh database has nothing stale


def test_cli_grants_and_takes_away_an_admin_role(cli):
    cli("orgs", "create", "--name", "Dinas Sosial")
    refused = cli(
        "clients",
        "create",
        "--name",
        "Ops",
        "--grant-type",
        "client_credentials",
        "--scope",
        "satupintu:admin",
        ok=False,
    )
    assert "--admin-role" in refused["error"]
    ops = cli(
        "clients",
        "create",
        "--name",
        "Ops",
        "--org",
        "Dinas Sosial",
        "--grant-type",
        "client_credentials",
        "--scope",
        "openid",
        "--admin-role",
        "organisation",
    )
    assert ops["admin_role"] == "organisation"
    national = cli("clients", "update", "--admin-role", "national", ops["client_id"])
    assert national["admin_role"] == "national"
    taken = cli("clients", "update", "--admin-role", "none", ops["client_id"])
    assert "admin_role" not in taken
    # A role needs a client that acts for itself.
    web = cli("clients", "create", "--name", "Web", "--redirect-uri", "https://w.example/cb")
    refused = cli("clients", "update", "--admin-role", "national", web["client_id"], ok=False)
    assert "client_credentials" in refused["error"]


@contextmanager
def serving(var_dir: Path) -> Iterator[tuple[Callable[[], Any], Any]]:
    """The server an operator's CLI set up, in-process: (a new browser, the services)."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.services import build_services

    settings = Settings(var_dir=var_dir, issuer="http://localhost:8000", backchannel_poll_seconds=0)
    svc = build_services(settings)
    with ExitStack() as stack:
        stack.callback(svc.close)
        app = create_app(settings, svc)

        def browser() -> Any:
            return stack.enter_context(
                TestClient(app, base_url="http://localhost:8000", follow_redirects=False)
            )

        yield browser, svc


def test_operator_verified_email_is_said_verified(cli, tmp_path):
    password = "kata-sandi-rahasia"
    sari = cli(
        "users",
        "create",
        "--username",
        "sari",
        "--password",
        password,
        "--email",
        "sari@desa.id",
        "--email-verified",
    )
    cli("users", "create", "--username", "tono", "--password", password, "--email", "tono@desa.id")
    err = cli("users", "create", "--username", "wati", "--email-verified", ok=False)
    assert "email" in err["error"]
    app = cli(
        "clients",
        "create",
        "--name",
        "Layanan KTP",
        "--skip-consent",
        "--redirect-uri",
        "https://ktp.example/cb",
    )
    c = Registered(app["client_id"], app["client_secret"], "https://ktp.example/cb")
    with serving(tmp_path) as (browser, svc):
        for username, verified in (("sari", True), ("tono", False)):
            info = sign_in_and_read_claims(browser(), c, username, password).userinfo
            assert info["email_verified"] is verified, username
        said = svc.audit.recent(type_prefix="user.verify_email")
        assert [(e.subject, e.actor) for e in said] == [(sari["sub"], "operator")]


def test_operator_puts_scope_claims_in_id_tokens_and_takes_them_out(cli, tmp_path):
    password = "kata-sandi-rahasia"
    cli("users", "create", "--username", "sari", "--password", password, "--email", "sari@desa.id")
    made = cli(
        "clients", "create", "--name", "Layanan KTP", "--skip-consent",
        "--redirect-uri", "https://ktp.example/cb", "--id-token-scope-claims",
    )  # fmt: skip
    assert made["id_token_scope_claims"] is True
    c = Registered(made["client_id"], made["client_secret"], "https://ktp.example/cb")
    with serving(tmp_path) as (browser, _):
        id_token = sign_in_and_read_claims(browser(), c, "sari", password).id_token
    assert id_token["email"] == "sari@desa.id" and id_token["preferred_username"] == "sari"
    changed = cli("clients", "update", c.client_id, "--no-id-token-scope-claims")
    assert changed["id_token_scope_claims"] is False
    with serving(tmp_path) as (browser, _):
        signed = sign_in_and_read_claims(browser(), c, "sari", password)
    assert signed.userinfo["email"] == "sari@desa.id" and "email" not in signed.id_token


@pytest.mark.parametrize(
    ("option", "uri", "address"),
    [
        ("--backchannel-logout-uri", "https://10.0.0.5/backchannel-logout", "10.0.0.5"),
        ("--backchannel-logout-uri", "https://[64:ff9b::a9fe:a9fe]/bc", "169.254.169.254"),
        ("--backchannel-logout-uri", "http://localhost:8000/bc", "127.0.0.1"),
        ("--jwks-uri", "https://192.168.10.2/jwks.json", "192.168.10.2"),
    ],
)
def test_cli_refuses_an_outbound_uri_the_guard_would_block(cli, option, uri, address):
    extra = ("--token-endpoint-auth-method", "private_key_jwt") if option == "--jwks-uri" else ()
    err = cli(
        "clients",
        "create",
        "--name",
        "Layanan Internal",
        "--redirect-uri",
        "https://internal.example/cb",
        option,
        uri,
        *extra,
        ok=False,
    )
    assert uri in err["error"] and address in err["error"]
    assert "SATUPINTU_OUTBOUND_ALLOW_NETWORKS" in err["error"]
    assert cli("clients", "list") == []


def test_cli_accepts_a_name_that_does_not_resolve_yet_with_a_warning(cli):
    client = cli(
        "clients",
        "create",
        "--name",
        "Layanan KTP",
        "--redirect-uri",
        "https://ktp.invalid/callback",
        "--backchannel-logout-uri",
        "https://ktp.invalid/backchannel-logout",
    )
    assert client["backchannel_logout_uri"] == "https://ktp.invalid/backchannel-logout"
    warning = json.loads(cli.stderr.splitlines()[0])["warning"]  # type: ignore[attr-defined]
    assert "ktp.invalid" in warning and "does not resolve" in warning


def test_cli_checks_a_sector_identifier_uri(cli):
    receiver = Receiver()
    try:
        cli.env["SATUPINTU_OUTBOUND_ALLOW_NETWORKS"] = "127.0.0.0/8"  # type: ignore[attr-defined]
        redirects = ["https://ktp.example.go.id/cb", "https://m.ktp.example.go.id/cb"]
        receiver.documents["/sector.json"] = (200, json.dumps(redirects[:1]).encode())
        sector = f"{receiver.origin}/sector.json"
        args = ["clients", "create", "--name", "KTP", "--subject-type", "pairwise"]
        for uri in redirects:
            args += ["--redirect-uri", uri]
        err = cli(*args, ok=False)  # pairwise on two hosts, no sector document
        assert "sector_identifier_uri" in err["error"]
        err = cli(*args, "--sector-identifier-uri", sector, ok=False)
        assert sector in err["error"] and redirects[1] in err["error"]
        receiver.documents["/sector.json"] = (200, json.dumps(redirects).encode())
        client = cli(*args, "--sector-identifier-uri", sector)
        assert client["sector_identifier_uri"] == sector
        assert receiver.visited == [sector, sector]
    finally:
        receiver.close()
