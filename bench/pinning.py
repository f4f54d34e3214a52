"""CPU pinning: the system under test on one core, the load generator on the other, so every
figure is "per core" and the two never steal each other's cycles."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

SERVER_CORE = 1
LOAD_CORE = 0


def can_pin() -> bool:
    return shutil.which("taskset") is not None and len(os.sched_getaffinity(0)) >= 2


def pinned(cmd: Sequence[str], core: int) -> list[str]:
    """`cmd` run under `taskset -c core` when pinning is possible (otherwise unpinned)."""
    if not can_pin():
        return list(cmd)
    return ["taskset", "-c", str(core), *cmd]
