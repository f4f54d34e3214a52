"""Reproducible benchmarks, run by `make bench` (`python -m bench [NAME...]`).

Each module `bench/bench_<name>.py` exposes `main() -> list[dict]`; every row compares a figure
with a reference measured in the same run, because the shared machine is too noisy for absolute
numbers to mean much. See docs/benchmarks.md.
"""
