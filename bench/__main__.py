"""`python -m bench [NAME...]`: run every benchmark module, or only the named ones."""

from __future__ import annotations

import sys

from bench.harness import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
