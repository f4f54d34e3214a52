"""The benchmark contract: discover `bench_*.py` modules, check their rows, print a table and
write `bench/results.json`.

A row is {"name", "value", "unit", "reference", "reference_value", "ratio", "target", "met"}:
`ratio` is value / reference_value and `met` is ratio >= target (None when there is no target).
"""

from __future__ import annotations

import importlib
import json
import platform
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
FIELDS = ("name", "value", "unit", "reference", "reference_value", "ratio", "target", "met")

Row = dict[str, Any]


def row(
    name: str,
    value: float,
    unit: str,
    reference: str,
    reference_value: float,
    target: float | None = None,
) -> Row:
    """A result row with its ratio against the reference and whether the target is met."""
    ratio = value / reference_value if reference_value else float("nan")
    met = None if target is None else bool(ratio >= target)
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "reference": reference,
        "reference_value": reference_value,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def discover(directory: Path = HERE, package: str = "bench") -> dict[str, str]:
    """Module name by short name: bench/bench_oidc.py is `oidc`."""
    return {
        p.stem.removeprefix("bench_"): f"{package}.{p.stem}"
        for p in sorted(directory.glob("bench_*.py"))
    }


def check_rows(module: str, rows: Any) -> list[Row]:
    if not isinstance(rows, list):
        raise TypeError(f"{module}.main() must return a list of rows")
    for r in rows:
        missing = [f for f in FIELDS if not isinstance(r, dict) or f not in r]
        if missing:
            raise TypeError(f"{module}: row {r!r} lacks {missing}")
    return rows


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(rows: Sequence[Row]) -> str:
    """An aligned plain-text table, one line per row."""
    head = ["benchmark", "value", "unit", "reference", "ref value", "ratio", "target", "met"]
    body = [
        [
            str(r["name"]),
            _num(r["value"]),
            str(r["unit"]),
            str(r["reference"]),
            _num(r["reference_value"]),
            _num(r["ratio"], 2),
            "-" if r["target"] is None else f">= {r['target']:g}",
            {True: "yes", False: "NO", None: "-"}[r["met"]],
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    numeric = {1, 4, 5}

    def fmt(line: list[str]) -> str:
        cells = [
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(head), rule, *(fmt(line) for line in body)])


def run(
    names: Sequence[str] = (),
    *,
    modules: dict[str, str] | None = None,
    results: Path = RESULTS,
    echo: Callable[[str], None] = print,
) -> int:
    """Run the named benchmarks (all when empty); 0 when every module ran, 1 otherwise."""
    available = modules if modules is not None else discover()
    unknown = [n for n in names if n not in available]
    if unknown:
        echo(f"unknown benchmark(s): {', '.join(unknown)}; have: {', '.join(available)}")
        return 2
    rows: list[Row] = []
    failed: list[str] = []
    started = time.time()
    for short in names or list(available):
        module = available[short]
        echo(f"== {short}")
        t0 = time.monotonic()
        try:
            produced = check_rows(module, importlib.import_module(module).main())
        except Exception:
            failed.append(short)
            echo(traceback.format_exc())
            continue
        rows.extend(dict(r, module=short) for r in produced)
        echo(f"   {len(produced)} rows in {time.monotonic() - t0:.0f} s")
    echo("")
    echo(table(rows))
    payload = {
        "started": started,
        "seconds": round(time.time() - started, 1),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "failed": failed,
        "rows": rows,
    }
    results.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    echo(f"\nwritten {results}")
    return 1 if failed else 0
