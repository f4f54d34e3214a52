"""The house stays drawn as DESIGN.md draws it: imports point inward, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("idp", "consent", "vault", "api", "policies", "audit", "storage")
# storage is the leaf under everything: it imports nothing of the project, and every package
# may import it.
ALLOWED = {
    "storage": set(),
    "vault": {"storage"},
    "audit": {"storage"},
    "policies": {"storage"},
    "idp": {"vault", "audit", "policies", "storage"},
    "consent": {"vault", "audit", "policies", "storage"},
    "api": {"idp", "consent", "vault", "audit", "policies", "storage"},
}
WEB = ("fastapi", "starlette")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_design_allows(package: str) -> None:
    wrong: list[str] = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in imports_of(path):
            if name in PACKAGES and name != package and name not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            if name in WEB and package != "api":
                wrong.append(f"{path.relative_to(ROOT)} imports {name} (only api may)")
    assert not wrong, "\n".join(wrong)
