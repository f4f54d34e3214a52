"""SATUPINTU_OUTBOUND_ALLOW_NETWORKS: the networks outbound calls may reach beside the global
internet (regional apps on a government network), and a start-up that stops on a bad one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest

from api.settings import Settings
from idp.outbound import OutboundRefused

CLI = str(Path(sys.executable).parent / "satupintu")


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hosts a call connected to; answered 200 without a network."""
    connected: list[str] = []

    def handle_request(self: object, request: httpx.Request) -> httpx.Response:
        connected.append(request.url.host)
        return httpx.Response(200, request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", handle_request)
    return connected


def test_the_guard_lets_through_what_the_environment_allows(
    monkeypatch, tmp_path, wire, sqlite_template
):
    from api.services import build_services

    shutil.copy(sqlite_template, tmp_path / "satupintu.db")

    monkeypatch.setenv("SATUPINTU_OUTBOUND_ALLOW_NETWORKS", "10.20.0.0/16, 127.0.0.0/8,::1/128")
    settings = Settings(var_dir=tmp_path)
    svc = build_services(settings)
    try:
        guard = svc.server.ctx.outbound
        for url in ("http://10.20.5.5/bc", "http://127.0.0.1:9000/bc", "http://[::1]/bc"):
            assert guard.request("POST", url).status_code == 200
        for url in ("http://10.21.0.1/bc", "http://192.168.0.1/bc", "http://[::ffff:10.30.0.1]/"):
            with pytest.raises(OutboundRefused):
                guard.request("POST", url)
        assert wire == ["10.20.5.5", "127.0.0.1", "::1"]
        assert settings.outbound_allow_networks == (
            ip_network("10.20.0.0/16"),
            ip_network("127.0.0.0/8"),
            ip_network("::1/128"),
        )
    finally:
        svc.close()


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"SATUPINTU_OUTBOUND_ALLOW_NETWORKS": "10.20.0.0/33"}, "10.20.0.0/33"),
        ({"SATUPINTU_OUTBOUND_ALLOW_NETWORKS": "10.20.1.0/16"}, "10.20.1.0/16"),  # host bits
        ({"SATUPINTU_OUTBOUND_ALLOW_NETWORKS": "pemda.go.id"}, "pemda.go.id"),
        # The setting it replaces: silently ignoring it would stop deliveries to private apps.
        ({"SATUPINTU_OUTBOUND_ALLOW_PRIVATE": "true"}, "SATUPINTU_OUTBOUND_ALLOW_PRIVATE"),
    ],
)
def test_a_bad_network_stops_start_up_with_a_clear_message(tmp_path, env, said):
    base = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    p = subprocess.run(
        [CLI, "migrate", "--json"],
        capture_output=True,
        text=True,
        env={**base, "SATUPINTU_VAR_DIR": str(tmp_path), **env},
        timeout=60,
    )
    assert p.returncode != 0, p.stdout
    error = json.loads(p.stderr)["error"]
    assert said in error and "SATUPINTU_OUTBOUND_ALLOW_NETWORKS" in error
    assert not (tmp_path / "satupintu.db").exists()
