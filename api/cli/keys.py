"""`satupintu keys ...`: rotate and list the token signing keys."""

from __future__ import annotations

from typing import Any

import typer

from api.cli.common import JsonOpt, emit, services

keys_app = typer.Typer(no_args_is_help=True, help="Token signing keys.")


@keys_app.command("rotate")
def keys_rotate(as_json: JsonOpt = False) -> None:
    """New signing keys; the old ones stay in JWKS until their tokens have expired."""
    svc = services()
    new = svc.keys.rotate()
    emit(as_json, {"new_kids": new}, lambda d: "new keys: " + ", ".join(d["new_kids"]))


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    svc = services()
    data = [
        {
            "kid": r.kid,
            "alg": r.alg,
            "created_at": r.created_at,
            "retired_at": r.retired_at,
            "expires_at": r.expires_at,
        }
        for r in svc.keys.rows()
    ]

    def human(rows: list[dict[str, Any]]) -> str:
        return "\n".join(
            f"{r['kid']}  {r['alg']:6} {'retired' if r['retired_at'] else 'active'}" for r in rows
        )

    emit(as_json, data, human)
