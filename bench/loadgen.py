"""The load generator: wrk pinned to its own core, with Lua scripts for the POST bodies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.pinning import LOAD_CORE, pinned

SCRIPTS = Path(__file__).resolve().parent / "wrk"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads included (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int  # socket errors and timeouts
    non2xx: int  # HTTP status >= 400
    server_cpu: float  # CPU seconds the server used during the run

    @property
    def ok(self) -> int:
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
) -> LoadResult:
    """Run wrk with one thread on the load core against `url`, return its summary with the
    CPU time the server process spent meanwhile."""
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
    cpu_before = cpu_seconds(server_pid)
    out = subprocess.run(
        pinned(cmd, LOAD_CORE),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    server_cpu = cpu_seconds(server_pid) - cpu_before
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            return LoadResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                errors=data["errors"],
                non2xx=data["non2xx"],
                server_cpu=server_cpu,
            )
    raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
