"""What every command group shares: the --json option, settings and services, output and errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from api.settings import Settings

if TYPE_CHECKING:
    from api.services import Services

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


def load_settings() -> Settings:
    """The settings from the environment; a bad value stops the command with what was wrong."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        fail("--json" in sys.argv, f"invalid configuration: {problems}", 2)


def services(keys: bool = True) -> Services:
    """The services, their signing keys made sure of unless `keys` is false; an unreachable key
    service stops the command (exit 3)."""
    from api.services import build_services
    from vault import KeyUnavailable

    try:
        svc = build_services(load_settings())
    except KeyUnavailable as exc:
        fail("--json" in sys.argv, f"key service unavailable: {exc}", 3)
    if keys:
        svc.keys.ensure()
    return svc


def emit(as_json: bool, data: Any, human: Callable[[Any], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        typer.echo(human(data))


def fail(as_json: bool, message: str, code: int = 1) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": message}), err=True)
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def warn(as_json: bool, message: str) -> None:
    """Accepted, but may not work yet: said on stderr, so stdout stays the result."""
    typer.echo(json.dumps({"warning": message}) if as_json else f"warning: {message}", err=True)


def guard(as_json: bool, fn: Callable[[], Any]) -> Any:
    from idp.errors import IdpError
    from vault import KeyUnavailable

    try:
        return fn()
    except IdpError as exc:
        fail(as_json, str(exc))
    except KeyUnavailable as exc:
        fail(as_json, f"key service unavailable: {exc}", 3)


def erase_user(ref: str, as_json: bool) -> None:
    """Crypto-shred the user `ref` names (`users erase` and `vault shred`)."""
    svc = services(keys=False)

    def run() -> dict[str, Any]:
        user = svc.users.resolve(ref)
        svc.users.erase(user.id, actor="operator")
        return {"erased": user.id}

    data = guard(as_json, run)
    emit(as_json, data, lambda d: f"erased {d['erased']}")
