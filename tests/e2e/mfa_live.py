"""A real SatuPintu server process for the passkey browser test: `satupintu migrate`, a user
and an MFA-requiring client made with the CLI, then `satupintu serve` on a free port with
issuer http://localhost:<port>; and headless Chromium with a CDP virtual authenticator."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
SATUPINTU = str(REPO / ".venv" / "bin" / "satupintu")
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveIdp:
    issuer: str
    env: dict[str, str]
    proc: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str) -> Any:
        done = subprocess.run(
            [SATUPINTU, *args, "--json"], env=self.env, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()
        return json.loads(done.stdout)


@pytest.fixture(scope="module")
def mfa_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveIdp]:
    var = tmp_path_factory.mktemp("mfa-e2e")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
    env.update(
        SATUPINTU_VAR_DIR=str(var),
        SATUPINTU_ISSUER=f"http://localhost:{port}",
        SATUPINTU_ARGON2_MEMORY_COST="8192",
        SATUPINTU_BACKCHANNEL_POLL_SECONDS="0",
    )
    subprocess.run([SATUPINTU, "migrate", "--json"], env=env, check=True, capture_output=True)
    log = var / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [SATUPINTU, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    idp = LiveIdp(f"http://localhost:{port}", env, proc, log)
    try:
        deadline = time.monotonic() + 40
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield idp
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)


def virtual_authenticator(context: Any, page: Any) -> Any:
    """A platform passkey authenticator (CTAP2, internal, resident keys, user verification)."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
