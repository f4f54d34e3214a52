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


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int  # socket errors and timeouts
    non2xx: int  # HTTP status >= 400

    @property
    def ok(self) -> int:
        return self.requests - self.non2xx

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.seconds if self.seconds else 0.0


def available() -> bool:
    return shutil.which("wrk") is not None


def run_wrk(
    url: str,
    script: str,
    env: dict[str, str],
    *,
    seconds: float,
    connections: int,
) -> LoadResult:
    """Run wrk with one thread on the load core against `url`, return its summary."""
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
    out = subprocess.run(
        pinned(cmd, LOAD_CORE),
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            return LoadResult(
                requests=data["requests"],
                seconds=data["duration_us"] / 1e6,
                errors=data["errors"],
                non2xx=data["non2xx"],
            )
    raise RuntimeError(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
