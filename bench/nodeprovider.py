"""The comparison server: panva's node-oidc-provider (npm `oidc-provider` v9), installed on
first use into bench/.node (not committed) and run pinned to the server core."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from bench.pinning import SERVER_CORE, pinned
from bench.satupintu import basic_auth, free_port, stop, wait_healthy

HERE = Path(__file__).resolve().parent
PREFIX = HERE / ".node"
MODULES = PREFIX / "node_modules"
SCRIPT = HERE / "node" / "provider.mjs"
PACKAGE = "oidc-provider@9"
CLIENT_ID, CLIENT_SECRET = "bench-node-client", "bench-node-secret-0123456789abcdef"


def available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install() -> None:
    if (MODULES / "oidc-provider" / "package.json").exists():
        return
    PREFIX.mkdir(exist_ok=True)
    (PREFIX / "package.json").write_text(
        json.dumps({"name": "satupintu-bench-node", "private": True, "type": "module"})
    )
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(PREFIX), PACKAGE],
        check=True,
        capture_output=True,
        timeout=300,
    )


class NodeProvider:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "node.log"
        self.auth = basic_auth(CLIENT_ID, CLIENT_SECRET)
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> NodeProvider:
        install()
        cmd = ["node", str(SCRIPT), str(self.port), CLIENT_ID, CLIENT_SECRET]
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                pinned(cmd, SERVER_CORE),
                env={**os.environ, "OIDC_PROVIDER_DIR": str(MODULES)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_healthy(self.url + "/.well-known/openid-configuration", self.proc, self.log)
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.proc)
