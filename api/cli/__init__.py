"""The operator CLI `satupintu`: the root Typer app, assembled from the command groups; `main`."""

from __future__ import annotations

import sys

import typer

from api.cli.clients import clients_app
from api.cli.keys import keys_app
from api.cli.orgs import orgs_app
from api.cli.server import housekeeping, migrate, serve
from api.cli.sessions import sessions_app
from api.cli.users import users_app
from api.cli.vault import vault_app

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="SatuPintu operator CLI.",
)
app.command()(migrate)
app.command()(housekeeping)
app.command()(serve)
app.add_typer(orgs_app, name="orgs")
app.add_typer(clients_app, name="clients")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(sessions_app, name="sessions")
app.add_typer(vault_app, name="vault")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
