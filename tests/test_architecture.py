"""The house stays drawn as DESIGN.md draws it: imports point inward, never back up."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("idp", "consent", "vault", "api", "policies", "audit")
ALLOWED = {
    "vault": set(),
    "audit": set(),
    "policies": set(),
    "idp": {"vault", "audit", "policies"},
    "consent": {"vault", "audit", "policies"},
    "api": {"idp", "consent", "vault", "audit", "policies"},
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


def test_no_router_imports_another() -> None:
    """Routers share helpers through api/web or a small named module, never through a router."""
    wrong: list[str] = []
    for path in sorted((ROOT / "api" / "routers").glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                if any(n.startswith("api.routers.") for n in names) or node.module == "api.routers":
                    wrong.append(f"{path.relative_to(ROOT)} imports {node.module}")
            elif isinstance(node, ast.Import):
                wrong += [
                    f"{path.relative_to(ROOT)} imports {a.name}"
                    for a in node.names
                    if a.name.startswith("api.routers")
                ]
    assert not wrong, "\n".join(wrong)
