"""The benchmark harness (bench/harness.py) runs modules to its contract; no benchmark runs here."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bench.harness import discover, row, run, table

TRIVIAL = """
from bench.harness import row

def main():
    return [
        row("fast thing", 900.0, "ops/s", "raw", 1000.0, 0.9),
        row("slow thing", 450.0, "ops/s", "raw", 1000.0, 0.9),
        row("no target", 5.0, "req/s", "raw", 10.0),
    ]
"""


@pytest.fixture
def modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    pkg = tmp_path / "fakebench"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "bench_trivial.py").write_text(TRIVIAL)
    (pkg / "bench_broken.py").write_text("def main():\n    return [{'name': 'x'}]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return discover(pkg, "fakebench")


def test_row_ratio_and_target() -> None:
    r = row("x", 90.0, "ops/s", "ref", 100.0, 0.9)
    assert r["ratio"] == pytest.approx(0.9) and r["met"] is True
    assert row("x", 89.0, "ops/s", "ref", 100.0, 0.9)["met"] is False
    assert row("x", 1.0, "ops/s", "ref", 2.0)["met"] is None
    assert math.isnan(row("x", 1.0, "ops/s", "ref", 0.0)["ratio"])


def test_discovers_modules_by_short_name(modules: dict[str, str]) -> None:
    assert modules == {"broken": "fakebench.bench_broken", "trivial": "fakebench.bench_trivial"}
    assert "oidc" in discover()  # the real bench/ directory


def test_runs_a_module_prints_an_aligned_table_and_writes_results(
    modules: dict[str, str], tmp_path: Path
) -> None:
    out: list[str] = []
    results = tmp_path / "results.json"
    assert run(["trivial"], modules=modules, results=results, echo=out.append) == 0
    printed = "\n".join(out)
    lines = [ln for ln in printed.splitlines() if "thing" in ln or "benchmark" in ln]
    assert len(lines) == 3
    # Columns line up: the ratio column ends at the same place on every line.
    assert (
        len({ln.index("0.90") + 4 for ln in lines if "fast" in ln} | {lines[0].index("ratio") + 5})
        == 1
    )
    assert "yes" in lines[1] and "NO" in lines[2]
    data = json.loads(results.read_text())
    assert [r["name"] for r in data["rows"]] == ["fast thing", "slow thing", "no target"]
    assert data["rows"][1]["ratio"] == pytest.approx(0.45) and data["rows"][1]["met"] is False
    assert data["failed"] == []


def test_a_module_breaking_the_contract_is_reported_not_hidden(
    modules: dict[str, str], tmp_path: Path
) -> None:
    out: list[str] = []
    results = tmp_path / "results.json"
    assert run([], modules=modules, results=results, echo=out.append) == 1
    assert "lacks" in "\n".join(out)
    data = json.loads(results.read_text())
    assert data["failed"] == ["broken"] and len(data["rows"]) == 3


def test_unknown_name_is_refused(modules: dict[str, str], tmp_path: Path) -> None:
    out: list[str] = []
    assert run(["nope"], modules=modules, results=tmp_path / "r.json", echo=out.append) == 2
    assert "unknown benchmark" in out[0]


def test_table_marks_missing_values() -> None:
    text = table([row("x", 1.0, "ops/s", "ref", 2.0)])
    assert text.splitlines()[2].rstrip().endswith("-")
