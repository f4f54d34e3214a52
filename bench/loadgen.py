"""The load generator: wrk pinned to its own core, with Lua scripts for the POST bodies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.pinning import LOAD_CORE, pinned

SCRIPTS = Path(__file__).resolve().parent / "wrk"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settled_cpu(pid: int, timeout: float = 3.0) -> float:
    """The server's CPU time once it has gone idle (the same two readings 50 ms apart)."""
    deadline = time.monotonic() + timeout
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = cpu_seconds(pid)
        if now == last:
            return now
        last = now
    return last


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int  # socket errors and timeouts
    non2xx: int  # HTTP status >= 400
    server_cpu: float  # CPU seconds the server used during the run
    # Requests the server itself completed, when it can tell (see `run_wrk`'s `completed`).
    server_completed: int | None = None

    @property
    def ok(self) -> int:
        if self.server_completed is not None:
            return self.server_completed
        return self.requests - self.non2xx

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def per_core(self) -> float:
        """Successful requests per CPU-second of the server: what one core sustains, whatever
        else the shared machine was running at the time."""
        return self.ok / self.server_cpu if self.server_cpu else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    script: str,
    env: dict[str, str],
    *,
    seconds: float,
    connections: int,
    server_pid: int,
    completed: Callable[[], int] | None = None,
) -> LoadResult:
    """Run wrk with one thread on the load core against `url`, return its summary with the
    CPU time the server process spent meanwhile.

    When wrk's time is up, requests still in flight are abandoned: the server finishes them
    (their CPU is spent) but wrk counts none of them. For short requests that is noise; for a
    password login (~30 ms of argon2id, 4 in flight) it was up to 5 % of a 2-second round.
    With `completed` (a count of the requests the server has completed, read from the server's
    own records), the result counts those instead, and the server's CPU is read once it has
    finished the abandoned requests, so every request is counted with all of its CPU."""
    if not available():
        raise RuntimeError("wrk is not installed (Debian package `wrk`)")
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(SCRIPTS / script),
        url,
    ]
    # With `completed`, both counts start from an idle server (a warm-up's abandoned requests
    # finished), so nothing done before this run is counted in it.
    cpu_before = settled_cpu(server_pid) if completed else cpu_seconds(server_pid)
    done_before = completed() if completed else 0
    out = subprocess.run(
        pinned(cmd, LOAD_CORE),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    server_cpu = (settled_cpu(server_pid) if completed else cpu_seconds(server_pid)) - cpu_before
    done = completed() - done_before if completed else None
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            return LoadResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                errors=data["errors"],
                non2xx=data["non2xx"],
                server_cpu=server_cpu,
                server_completed=done,
            )
    raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
