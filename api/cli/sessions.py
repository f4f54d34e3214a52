"""`satupintu sessions ...`: list a user's SSO sessions and revoke one."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.common import JsonOpt, emit, fail, guard, services

sessions_app = typer.Typer(no_args_is_help=True, help="SSO sessions.")


@sessions_app.command("list")
def sessions_list(
    user: Annotated[str, typer.Option(help="sub, username, email or NIK")], as_json: JsonOpt = False
) -> None:
    svc = services()
    u = guard(as_json, lambda: svc.users.resolve(user))
    data = [
        {
            "sid": s.sid,
            "auth_time": s.auth_time,
            "last_seen_at": s.last_seen_at,
            "expires_at": s.expires_at,
            "clients": svc.sessions.clients(s.sid),
        }
        for s in svc.sessions.for_user(u.id)
    ]
    emit(as_json, data, lambda d: "\n".join(f"{s['sid']}  {s['clients']}" for s in d))


@sessions_app.command("revoke")
def sessions_revoke(
    sid: Annotated[str, typer.Argument(help="Session id (from `sessions list`)")],
    as_json: JsonOpt = False,
) -> None:
    """End a session everywhere (back-channel logout to its apps)."""
    svc = services()
    ended = svc.logout.end(sid, actor="operator", reason="operator")
    if ended is None:
        fail(as_json, "no active session with that id")
    report = svc.logout.deliver_due()
    emit(
        as_json,
        {"revoked": sid, "backchannel_delivered": report.delivered},
        lambda d: f"revoked {d['revoked']}",
    )
