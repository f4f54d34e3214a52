"""Real SatuPintu server processes for end-to-end tests, started the way `make run` does:
`satupintu migrate`, then `satupintu serve` on a free port, configured only by environment."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import PIPE
from typing import Any

import httpx
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"
START_TIMEOUT = 40.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerFailed(RuntimeError):
    pass


@dataclass
class Server:
    """One `satupintu serve` process; its stdout/stderr go to a log file."""

    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def tail(self, lines: int = 60) -> str:
        try:
            text_ = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text_.splitlines()[-lines:])

    def stop(self) -> None:
        # The server leads its own process group (uvicorn workers included).
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


@dataclass
class Deployment:
    """One SatuPintu installation: a var dir (keyring), a database, one or more servers that
    share both and answer as one issuer."""

    name: str
    var_dir: Path
    database_url: str | None = None
    servers: list[Server] = field(default_factory=list)
    issuer: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SATUPINTU_")}
        env.update(
            SATUPINTU_VAR_DIR=str(self.var_dir),
            SATUPINTU_ISSUER=self.issuer,
            SATUPINTU_OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8,::1/128",  # the apps' receivers
            # Back-channel retries are observable within the test's patience.
            SATUPINTU_BACKCHANNEL_POLL_SECONDS="0.2",
        )
        if self.database_url:
            env["SATUPINTU_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def _cli_argv(self, args: tuple[str, ...]) -> list[str]:
        return [str(BIN / "satupintu"), *args, "--json"]

    @staticmethod
    def _cli_result(args: tuple[str, ...], code: int, out: bytes, err: bytes) -> Any:
        if code != 0:
            raise ServerFailed(f"satupintu {' '.join(args)} exited {code}: {err.decode()}")
        return json.loads(out)

    def cli(self, *args: str) -> Any:
        """Run `satupintu ... --json` as an operator would; returns the parsed JSON."""
        done = subprocess.run(
            self._cli_argv(args), env=self.env(), capture_output=True, timeout=60, check=False
        )
        return self._cli_result(args, done.returncode, done.stdout, done.stderr)

    def cli_together(self, *commands: tuple[str, ...]) -> list[Any]:
        """Independent CLI commands at once (each is a process that mostly waits on imports)."""
        procs = [
            (args, subprocess.Popen(self._cli_argv(args), env=self.env(), stdout=PIPE, stderr=PIPE))
            for args in commands
        ]
        results = []
        for args, proc in procs:
            out, err = proc.communicate(timeout=60)
            results.append(self._cli_result(args, proc.returncode, out, err))
        return results

    def launch(self, count: int = 1, workers: int = 1) -> None:
        """Migrate like `make run`, then start the servers without waiting for them."""
        ports = [free_port() for _ in range(count)]
        self.issuer = f"http://localhost:{ports[0]}"
        self.cli("migrate")
        for port in ports:
            log = self.var_dir / f"server-{port}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [
                        str(BIN / "satupintu"),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--workers",
                        str(workers),
                    ],
                    env=self.env(),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.servers.append(Server(port, proc, log))

    def wait_ready(self) -> None:
        for server in self.servers:
            self._wait(server)

    def start(self, count: int = 1, workers: int = 1) -> None:
        self.launch(count, workers)
        self.wait_ready()

    def _wait(self, server: Server) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        url = f"http://127.0.0.1:{server.port}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if server.proc.poll() is not None:
                raise ServerFailed(f"server exited {server.proc.returncode}:\n{server.tail()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise ServerFailed(f"server on port {server.port} did not answer:\n{server.tail()}")

    @property
    def front(self) -> Server:
        """Where browsers go (authorize, login, logout)."""
        return self.servers[0]

    @property
    def back(self) -> Server:
        """Where apps call from their back end (token, userinfo, introspection)."""
        return self.servers[-1]

    def query(self, sql: str, **params: Any) -> list[Any]:
        """Read the server's own database, for facts no API shows (e.g. delivery attempts)."""
        url = self.database_url or f"sqlite:///{self.var_dir / 'satupintu.db'}"
        engine = create_engine(url)
        try:
            with engine.connect() as c:
                return list(c.execute(text(sql), params))
        finally:
            engine.dispose()

    def logs(self) -> str:
        return "\n".join(f"--- server :{s.port} ---\n{s.tail()}" for s in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


class PostgresDatabase:
    """A fresh PostgreSQL database with a unique name, dropped afterwards."""

    def __init__(self, admin_url: str) -> None:
        self.name = f"satupintu_e2e_{uuid.uuid4().hex[:10]}"
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    def drop(self) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()
