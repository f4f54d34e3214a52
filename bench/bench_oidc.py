"""OIDC server throughput per CPU core, each figure beside a reference from the same run.

The real server (`satupintu migrate` + `serve`, one worker, SQLite and local keyring in a temp
dir) runs pinned to one core; wrk, pinned to the other, loads it. References run pinned to the
server's core too: raw RS256 signing/verification with joserfc and raw argon2id verification
with argon2-cffi at the server's parameters; node-oidc-provider serves the same kind of
client_credentials JWT on the same core, loaded the same way.

"Per core" is successful requests per CPU-second the server process used (references: operations
per CPU-second), so other work on the shared machine does not move the ratios much; the
wall-clock rate is kept beside it in results.json.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from api.settings import Settings
from bench import loadgen, nodeprovider
from bench.harness import Row, row
from bench.reference import measure_pinned
from bench.satupintu import SatuPintuServer

SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
WARMUP = 2.0
# node-oidc-provider keeps speeding up for ~10 s of load (V8's optimising tiers); the
# comparison starts once it has settled, or it would flatter us.
NODE_WARMUP = 12.0
# The two rows with targets alternate with their reference in short rounds, so a slow or fast
# spell of the shared machine weighs on both sides alike; figures pool the rounds.
ROUNDS = 3  # ours / node
REF_SECONDS = 3.0
CONNECTIONS = 8  # enough to keep one core busy; the same for every server
LOGIN_CONNECTIONS = 4
LOGIN_ROUNDS = 6  # each between two argon2id reference runs (_password_login)
LOGIN_SECONDS = 2.0  # wrk's whole seconds
LOGIN_REF_SECONDS = 1.0
REFRESH_TOKENS = 6000


def _load(
    url: str,
    pid: int,
    script: str,
    env: dict[str, str],
    connections: int = CONNECTIONS,
    warmup: bool = True,
    seconds: float = SECONDS,
    completed: Callable[[], int] | None = None,
) -> loadgen.LoadResult:
    # Unmeasured warm-up first: node's JIT (and our caches) reach their steady state, which
    # is what a server in service runs at.
    if warmup:
        loadgen.run_wrk(url, script, env, seconds=WARMUP, connections=connections, server_pid=pid)
    return loadgen.run_wrk(
        url,
        script,
        env,
        seconds=seconds,
        connections=connections,
        server_pid=pid,
        completed=completed,
    )


def _post(
    url: str,
    pid: int,
    path: str,
    body: str,
    connections: int = CONNECTIONS,
    warmup: bool = True,
    seconds: float = SECONDS,
    completed: Callable[[], int] | None = None,
    **headers: str,
) -> loadgen.LoadResult:
    env = {
        "BENCH_PATH": path,
        "BENCH_BODY": body,
        **{f"BENCH_{k.upper()}": v for k, v in headers.items()},
    }
    result = _load(url, pid, "post.lua", env, connections, warmup, seconds, completed)
    if result.non2xx or result.errors or not result.ok:
        raise RuntimeError(f"load on {path} had failures: {result}")
    if result.server_completed is not None and result.server_completed < result.requests:
        raise RuntimeError(f"the server completed fewer requests than wrk saw answered: {result}")
    return result


def _row(
    name: str,
    result: loadgen.LoadResult,
    unit: str,
    ref: str,
    ref_value: float,
    target: float | None = None,
) -> Row:
    return dict(
        row(name, result.per_core, unit, ref, ref_value, target),
        wall_rate=result.rate,
        server_cpu_share=result.server_cpu / result.seconds,
        requests=result.requests,
        answered=result.requests - result.non2xx,  # as wrk saw them
        server_completed=result.server_completed,
    )


def _pooled(results: list[loadgen.LoadResult]) -> loadgen.LoadResult:
    """Several runs as one: their requests over their summed time and server CPU."""
    counted = [r.server_completed for r in results]
    return loadgen.LoadResult(
        requests=sum(r.requests for r in results),
        seconds=sum(r.seconds for r in results),
        errors=sum(r.errors for r in results),
        non2xx=sum(r.non2xx for r in results),
        server_cpu=sum(r.server_cpu for r in results),
        server_completed=None if None in counted else sum(c or 0 for c in counted),
    )


def _versus_node(workdir: Path, url: str, pid: int, auth: str) -> Row:
    """client_credentials against node-oidc-provider on the same core, in alternating rounds
    while both servers are up."""
    ours: list[loadgen.LoadResult] = []
    theirs: list[loadgen.LoadResult] = []
    with nodeprovider.NodeProvider(workdir) as node:
        assert node.proc is not None
        env = {
            "BENCH_PATH": "/token",
            "BENCH_BODY": "grant_type=client_credentials",
            "BENCH_AUTH": node.auth,
        }
        loadgen.run_wrk(
            node.url,
            "post.lua",
            env,
            seconds=NODE_WARMUP,
            connections=CONNECTIONS,
            server_pid=node.proc.pid,
        )
        for i in range(ROUNDS):
            for runs, (u, p, a) in (
                (ours, (url, pid, auth)),
                (theirs, (node.url, node.proc.pid, node.auth)),
            ):
                runs.append(
                    _post(
                        u,
                        p,
                        "/token",
                        "grant_type=client_credentials",
                        warmup=i == 0,
                        seconds=SECONDS / ROUNDS,
                        auth=a,
                    )
                )
    mine, node_cc = _pooled(ours), _pooled(theirs)
    return dict(
        row(
            "client_credentials vs node",
            mine.per_core,
            "tokens/s",
            "node-oidc-provider",
            node_cc.per_core,
            1.0,
        ),
        wall_rate=mine.rate,
        reference_wall_rate=node_cc.rate,
        round_ratios=[a.per_core / b.per_core for a, b in zip(ours, theirs, strict=True)],
    )


def _password_login(server: SatuPintuServer, argon2: tuple[int, int, int]) -> list[Row]:
    """Logins against raw argon2id in LOGIN_ROUNDS short rounds, each between two reference
    runs and compared with their mean: argon2id's speed on this shared machine drifts by
    ±10 % within a minute, and bracketing follows the drift where one run before a round
    does not. The same rounds are also set beside the server's own hasher alone, which runs
    argon2id in a huge-page buffer (idp.accounts.argon2_memory): that ratio is the cost of
    the rest of a sign-in, the first one what a user of the server gets against a plain
    argon2-cffi."""
    cookie, body = server.login_form()

    def references() -> tuple[float, float]:
        raw = measure_pinned("argon2", LOGIN_REF_SECONDS, *argon2)
        return raw, measure_pinned("argon2-slot", LOGIN_REF_SECONDS, *argon2)

    refs = [references()]
    logins: list[loadgen.LoadResult] = []
    for i in range(LOGIN_ROUNDS):
        logins.append(
            _post(
                server.url,
                server.pid,
                "/login",
                body,
                LOGIN_CONNECTIONS,
                warmup=i == 0,
                seconds=LOGIN_SECONDS,
                # Counted by the server (sessions it opened): logins wrk abandons at the end
                # of a round still cost their argon2id (loadgen.run_wrk).
                completed=server.sessions_opened,
                cookie=cookie,
            )
        )
        refs.append(references())
    pooled = _pooled(logins)
    rows = []
    for name, which, target, label in (
        ("password_login", 0, 0.9, "raw argon2id verify"),
        ("password_login vs own hasher", 1, None, "own argon2id alone"),
    ):
        brackets = [(a[which] + b[which]) / 2 for a, b in itertools.pairwise(refs)]
        rows.append(
            dict(
                _row(name, pooled, "logins/s", label, sum(brackets) / LOGIN_ROUNDS, target),
                round_ratios=[r.per_core / b for r, b in zip(logins, brackets, strict=True)],
            )
        )
    return rows


def main() -> list[Row]:
    if not loadgen.available():
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    s = Settings()
    argon2 = (s.argon2_time_cost, s.argon2_memory_cost, s.argon2_parallelism)
    rows: list[Row] = []
    workdir = Path(tempfile.mkdtemp(prefix="satupintu-bench-"))
    try:
        with SatuPintuServer(workdir, REFRESH_TOKENS) as (server, fx):
            url, pid = server.url, server.pid
            sign = measure_pinned("sign", REF_SECONDS)
            cc = _post(url, pid, "/token", "grant_type=client_credentials", auth=fx.auth)
            rows.append(_row("client_credentials", cc, "tokens/s", "raw RS256 sign", sign))

            tokens = workdir / "refresh-tokens.txt"
            tokens.write_text("\n".join(fx.refresh_tokens) + "\n")
            # No warm-up of its own (it would spend the tokens); the runs before warmed the server.
            refresh = _load(
                url,
                pid,
                "refresh.lua",
                {"BENCH_TOKENS": str(tokens), "BENCH_AUTH": fx.auth},
                warmup=False,
            )
            # A thread whose tokens ran out re-presents its last one once: that 400 is expected.
            if refresh.errors or refresh.non2xx > 1 or not refresh.ok:
                raise RuntimeError(f"refresh run had failures: {refresh}")
            rows.append(_row("refresh_token", refresh, "tokens/s", "raw RS256 sign", sign))

            verify = measure_pinned("verify", REF_SECONDS)
            access = server.client_credentials_token(fx)
            intro = _post(url, pid, "/introspect", f"token={access}", auth=fx.auth)
            rows.append(_row("introspection", intro, "req/s", "raw RS256 verify", verify))

            rows.extend(_password_login(server, argon2))
            if nodeprovider.available():
                rows.append(_versus_node(workdir, url, pid, fx.auth))
            else:
                print("   node/npm not found: the node-oidc-provider comparison is skipped")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows
