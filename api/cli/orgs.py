"""`satupintu orgs ...`: create, change and list organisations (regional agencies)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import JsonOpt, emit, guard, services

orgs_app = typer.Typer(no_args_is_help=True, help="Organisations (regional agencies).")


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Organisation name")], as_json: JsonOpt = False
) -> None:
    svc = services()
    org = guard(as_json, lambda: svc.orgs.create(name))
    emit(as_json, {"id": org.id, "name": org.name}, lambda d: f"{d['id']}  {d['name']}")


@orgs_app.command("update")
def orgs_update(
    org: Annotated[str, typer.Argument(help="Organisation id or name")],
    require_mfa: Annotated[
        bool | None,
        typer.Option("--require-mfa/--no-require-mfa", help="Every app of this org needs MFA"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an organisation's sign-in rules."""
    svc = services()
    row = guard(as_json, lambda: svc.orgs.update(org, require_mfa=require_mfa))
    emit(
        as_json,
        {"id": row.id, "name": row.name, "require_mfa": row.require_mfa},
        lambda d: f"{d['id']}  {d['name']}  require_mfa={d['require_mfa']}",
    )


@orgs_app.command("list")
def orgs_list(as_json: JsonOpt = False) -> None:
    svc = services()
    data = [{"id": o.id, "name": o.name} for o in svc.orgs.list()]
    emit(as_json, data, lambda d: "\n".join(f"{o['id']}  {o['name']}" for o in d))
