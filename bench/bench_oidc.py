"""OIDC server throughput per CPU core, each figure beside a reference from the same run.

The real server (`satupintu migrate` + `serve`, one worker, SQLite and local keyring in a temp
dir) runs pinned to one core; wrk, pinned to the other, loads it. References run pinned to the
server's core too: raw RS256 signing/verification with joserfc and raw argon2id verification
with argon2-cffi at the server's parameters; node-oidc-provider serves the same kind of
client_credentials JWT on the same core, loaded the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from api.settings import Settings
from bench import loadgen, nodeprovider
from bench.harness import Row, row
from bench.reference import measure_pinned
from bench.satupintu import SatuPintuServer

SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
REF_SECONDS = 3.0
CONNECTIONS = 8  # enough to keep one core busy; the same for every server
LOGIN_CONNECTIONS = 4
REFRESH_TOKENS = 6000


def _cc(url: str, auth: str) -> loadgen.LoadResult:
    env = {
        "BENCH_PATH": "/token",
        "BENCH_BODY": "grant_type=client_credentials",
        "BENCH_AUTH": auth,
    }
    return _checked(loadgen.run_wrk(url, "post.lua", env, seconds=SECONDS, connections=CONNECTIONS))


def _checked(result: loadgen.LoadResult) -> loadgen.LoadResult:
    if result.non2xx or result.errors or not result.ok:
        raise RuntimeError(f"load run had failures: {result}")
    return result


def main() -> list[Row]:
    if not loadgen.available():
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    s = Settings()
    argon2 = (s.argon2_time_cost, s.argon2_memory_cost, s.argon2_parallelism)
    rows: list[Row] = []
    workdir = Path(tempfile.mkdtemp(prefix="satupintu-bench-"))
    try:
        with SatuPintuServer(workdir, REFRESH_TOKENS) as (server, fx):
            sign = measure_pinned("sign", REF_SECONDS)
            cc = _cc(server.url, fx.auth).rate
            rows.append(row("client_credentials", cc, "tokens/s", "raw RS256 sign", sign))

            tokens = workdir / "refresh-tokens.txt"
            tokens.write_text("\n".join(fx.refresh_tokens) + "\n")
            env = {"BENCH_TOKENS": str(tokens), "BENCH_AUTH": fx.auth}
            refresh = loadgen.run_wrk(
                server.url, "refresh.lua", env, seconds=SECONDS, connections=CONNECTIONS
            )
            # The last request of a thread whose tokens ran out re-presents one: not counted.
            if refresh.errors or refresh.non2xx > 1:
                raise RuntimeError(f"refresh run had failures: {refresh}")
            rows.append(row("refresh_token", refresh.rate, "tokens/s", "raw RS256 sign", sign))

            verify = measure_pinned("verify", REF_SECONDS)
            access = server.client_credentials_token(fx)
            env = {
                "BENCH_PATH": "/introspect",
                "BENCH_BODY": f"token={access}",
                "BENCH_AUTH": fx.auth,
            }
            intro = _checked(
                loadgen.run_wrk(
                    server.url, "post.lua", env, seconds=SECONDS, connections=CONNECTIONS
                )
            )
            rows.append(row("introspection", intro.rate, "req/s", "raw RS256 verify", verify))

            raw_argon2 = measure_pinned("argon2", REF_SECONDS, *argon2)
            cookie, body = server.login_form()
            env = {"BENCH_PATH": "/login", "BENCH_BODY": body, "BENCH_COOKIE": cookie}
            login = _checked(
                loadgen.run_wrk(
                    server.url, "post.lua", env, seconds=SECONDS, connections=LOGIN_CONNECTIONS
                )
            )
            rows.append(
                row(
                    "password_login", login.rate, "logins/s", "raw argon2id verify", raw_argon2, 0.9
                )
            )
        if nodeprovider.available():
            with nodeprovider.NodeProvider(workdir) as node:
                node_cc = _cc(node.url, node.auth).rate
            rows.append(
                row(
                    "client_credentials vs node", cc, "tokens/s", "node-oidc-provider", node_cc, 1.0
                )
            )
        else:
            print("   node/npm not found: node-oidc-provider comparison skipped")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows
