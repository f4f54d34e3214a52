"""The system under test: the real `satupintu` server (migrate + serve, one worker) in a temp
directory, pinned to the server core, with the fixtures the load needs."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.pinning import SERVER_CORE, pinned

BIN = Path(sys.executable).parent
PASSWORD = "Pintu-tolok-ukur-2024-xq"
USERNAME = "bench-user"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not become healthy:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[bytes] | None) -> None:
    """Terminate a server process, killing it if it has not gone within 10 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@dataclass
class Fixtures:
    client_id: str
    client_secret: str
    refresh_tokens: list[str]

    @property
    def auth(self) -> str:
        return basic_auth(self.client_id, self.client_secret)


class SatuPintuServer:
    def __init__(self, workdir: Path, refresh_tokens: int) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.n_refresh = refresh_tokens
        self.log = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
        self.env.update(SATUPINTU_VAR_DIR=str(workdir), SATUPINTU_ISSUER=self.url)
        # One load generator is one IP: lift the per-IP caps out of reach rather than switching
        # them off, so their counter writes are still part of what is measured.
        self.env.update(SATUPINTU_IP_REQUEST_LIMIT="1000000000")
        # node-oidc-provider writes no access log; compare like with like (docs/benchmarks.md).
        self.env.update(SATUPINTU_ACCESS_LOG="false")

    def __enter__(self) -> tuple[SatuPintuServer, Fixtures]:
        subprocess.run(
            [str(BIN / "satupintu"), "migrate"], env=self.env, check=True, capture_output=True
        )
        fixtures = self._fixtures()
        with self.log.open("wb") as log:
            cmd = [str(BIN / "satupintu"), "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            self.proc = subprocess.Popen(
                pinned(cmd, SERVER_CORE), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_healthy(self.url + "/healthz", self.proc, self.log)
        return self, fixtures

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid  # taskset execs the server, so this is the server itself

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)

    def _fixtures(self) -> Fixtures:
        """A confidential client, a user, and fresh refresh tokens (one grant each), written
        through the service layer before the server starts."""
        from api.services import build_services
        from api.settings import Settings
        from idp.clock import epoch
        from idp.oauth.models import Grant
        from idp.oauth.principal import Principal
        from idp.secrets import new_secret

        svc = build_services(Settings(var_dir=self.workdir, issuer=self.url))
        try:
            client, secret = svc.clients.create(
                name="bench",
                metadata={
                    "grant_types": ["client_credentials", "refresh_token", "authorization_code"],
                    "redirect_uris": ["http://127.0.0.1/cb"],
                    "scope": "openid offline_access",
                },
            )
            assert secret is not None
            user = svc.users.create(username=USERNAME, password=PASSWORD, email="bench@example.id")
            now = svc.clock()
            tokens: list[str] = []
            with svc.db.begin() as s:
                grants = [
                    Grant(
                        id=str(uuid.uuid4()),
                        client_id=client.client_id,
                        user_id=user.sub,
                        sid=None,
                        scope="offline_access",
                        created_at=now,
                    )
                    for _ in range(self.n_refresh)
                ]
                s.add_all(grants)
                s.flush()
                for g in grants:
                    token = new_secret()
                    who = Principal(user.sub, epoch(now), "1", ["pwd"], None, g.id)
                    svc.tokens.store_refresh_token(s, token, client, who, "offline_access")
                    tokens.append(token)
            return Fixtures(client.client_id, secret, tokens)
        finally:
            svc.close()

    def login_form(self) -> tuple[str, str]:
        """A CSRF cookie and the login form body that goes with it (one browser's jar)."""
        r = httpx.get(self.url + "/login", timeout=10)
        m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
        if not m or "satupintu_csrf" not in r.cookies:
            raise RuntimeError("login page without a CSRF token")
        cookie = f"satupintu_csrf={r.cookies['satupintu_csrf']}"
        body = httpx.QueryParams(
            {"csrf_token": m.group(1), "username": USERNAME, "password": PASSWORD}
        )
        return cookie, str(body)

    def sessions_opened(self) -> int:
        """SSO sessions the server has opened so far: one per successful password login."""
        with contextlib.closing(sqlite3.connect(self.workdir / "satupintu.db")) as db:
            return int(db.execute("SELECT count(*) FROM idp_sso_sessions").fetchone()[0])

    def client_credentials_token(self, fixtures: Fixtures) -> str:
        r = httpx.post(
            self.url + "/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": fixtures.auth},
            timeout=10,
        )
        r.raise_for_status()
        return str(r.json()["access_token"])
