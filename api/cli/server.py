"""The top-level commands that set up, maintain and run the server: migrate, housekeeping, serve."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import JsonOpt, emit, load_settings, services


def migrate(as_json: JsonOpt = False) -> None:
    """Create or upgrade the database schema."""
    from api.migrate import upgrade

    settings = load_settings()
    upgrade(settings)
    services().close()  # first run: keyring and signing keys
    emit(
        as_json,
        {"status": "ok", "database": settings.db_url.split("@")[-1]},
        lambda d: f"database migrated: {d['database']}",
    )


def housekeeping(as_json: JsonOpt = False) -> None:
    """Drop expired codes, tokens, challenges and counters now (the server also does it hourly)."""
    svc = services()
    try:
        dropped = svc.housekeeping.run()
    finally:
        svc.close()
    emit(
        as_json,
        {"dropped": dropped},
        lambda d: "\n".join(f"{t}: {n}" for t, n in d["dropped"].items()),
    )


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the identity provider."""
    import uvicorn

    from api.asgi.http_protocol import http_protocol
    from api.server_log import log_config

    settings = load_settings()
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
        log_config=log_config(),  # no query value reaches the log (api/server_log.py)
        access_log=settings.access_log,
        server_header=False,
        # httptools, the request head bounded by the settings' limits and each response's head
        # and body in one write (api/asgi/http_protocol.py)
        http=http_protocol(settings),
    )
