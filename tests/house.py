"""The rules of the house (DESIGN.md, docs/architecture.md) as functions of a source tree, so a
test can hold the real tree to them and show that a wrong import in a copy is caught."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("storage", "vault", "audit", "policies", "idp", "consent", "api")
# Which project packages each may import; `storage` is the leaf every package may use.
ALLOWED: dict[str, set[str]] = {
    "storage": set(),
    "vault": {"storage"},
    "audit": {"storage"},
    "policies": {"storage"},
    "idp": {"storage", "vault", "audit", "policies"},
    "consent": {"storage", "vault", "audit", "policies"},
    "api": {"storage", "idp", "consent", "vault", "audit", "policies"},
}
WEB = ("fastapi", "starlette")

# idp's wings, each importing only the wings before it: oauth never imports oidc, and nothing
# but selfservice builds on selfservice.
WINGS: dict[str, set[str]] = {
    "accounts": set(),
    "oauth": {"accounts"},
    "signin": {"accounts", "oauth"},
    "oidc": {"accounts", "oauth", "signin"},
    "selfservice": {"accounts", "oauth", "signin", "oidc"},
}
# idp's top level: a kernel every wing may use, which uses no wing, and the two modules that
# gather every wing. Anything else at the top level is a module that lost its wing.
KERNEL = {"addresses", "clock", "errors", "outbound", "secrets", "tables"}
GATHERERS = {"housekeeping", "schema"}

MAX_LINES = 400
SKIP_DIRS = {".venv", ".git", "migrations", "node_modules", "var", "__pycache__"}


@dataclass(frozen=True)
class Module:
    name: str  # dotted: idp.oauth.clients; a package is named by its __init__
    path: Path


def modules(root: Path) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root)
            if SKIP_DIRS.intersection(rel.parts):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = Module(".".join(parts), path)
    return found


def _package_of(module: Module) -> str:
    is_init = module.path.name == "__init__.py"
    return module.name if is_init else module.name.rpartition(".")[0]


def imported(module: Module, known: dict[str, Module]) -> Iterator[str]:
    """Every name the module imports (at any depth, TYPE_CHECKING included), resolved to the
    project module it loads where there is one, else to the top-level name."""
    tree = ast.parse(module.path.read_text(), filename=str(module.path))
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = _package_of(module).split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            targets = [t for t in targets if t in known] or [base]
        for target in targets:
            while target and target not in known and "." in target:
                target = target.rpartition(".")[0]
            yield target


def package_violations(root: Path) -> list[str]:
    known, wrong = modules(root), []
    for module in known.values():
        package = module.name.split(".")[0]
        for target in imported(module, known):
            top = target.split(".")[0]
            if top in PACKAGES and top != package and top not in ALLOWED[package]:
                wrong.append(f"{module.name} imports {target}")
            if top in WEB and package != "api":
                wrong.append(f"{module.name} imports {top} (only api may)")
    return sorted(set(wrong))


def _wing(name: str) -> str | None:
    """The wing (or "kernel"/"gatherer") a module of idp belongs to, None outside idp."""
    parts = name.split(".")
    if parts[0] != "idp" or len(parts) == 1:
        return None
    if parts[1] in WINGS:
        return parts[1]
    if parts[1] in KERNEL:
        return "kernel"
    if parts[1] in GATHERERS:
        return "gatherer"
    return "unplaced"


def wing_violations(root: Path) -> list[str]:
    known, wrong = modules(root), []
    for module in known.values():
        wing = _wing(module.name)
        if wing is None:
            continue
        if wing == "unplaced":
            wrong.append(f"{module.name} is in no wing, nor in the kernel (tests/house.py)")
            continue
        for target in imported(module, known):
            other = _wing(target)
            if other in (None, "kernel", wing) or wing == "gatherer":
                continue
            if other == "gatherer" or wing == "kernel" or other not in WINGS[wing]:
                wrong.append(f"{module.name} ({wing}) imports {target} ({other})")
    return sorted(set(wrong))


def circles(root: Path) -> list[list[str]]:
    """Groups of modules that import one another, round and round (Tarjan's SCC)."""
    known = modules(root)
    edges = {m: sorted({t for t in imported(known[m], known) if t in known}) for m in known}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # recursion depth is the import depth: a few dozen at most
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(found)


def oversized(root: Path, folders: tuple[str, ...]) -> dict[str, int]:
    sizes = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root)
            if SKIP_DIRS.intersection(rel.parts):
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_LINES:
                sizes[str(rel)] = lines
    return sizes
