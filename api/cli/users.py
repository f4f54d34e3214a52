"""`satupintu users ...`: create, list and erase user accounts; provision an authenticator app."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from api.cli.common import JsonOpt, emit, erase_user, guard, services

users_app = typer.Typer(no_args_is_help=True, help="User accounts.")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name: 3-64 letters, digits, . _ -")],
    password: Annotated[
        str | None, typer.Option(help="Initial password (none: no password sign-in)")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Email address")] = None,
    email_verified: Annotated[
        bool, typer.Option(help="The operator has verified the email address (audited)")
    ] = False,
    name: Annotated[str | None, typer.Option(help="Full name")] = None,
    nik: Annotated[str | None, typer.Option(help="NIK (16-digit national id number)")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone number, e.g. +628123456789")] = None,
    org: Annotated[str | None, typer.Option(help="Organisation id or name")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user account; prints its `sub`."""
    svc = services()

    def run() -> Any:
        org_id = svc.orgs.resolve(org).id if org else None
        return svc.users.create(
            username=username,
            password=password,
            email=email,
            email_verified=email_verified,
            name=name,
            nik=nik,
            phone=phone,
            org_id=org_id,
        )

    profile = guard(as_json, run)
    emit(as_json, {"sub": profile.sub, "username": profile.username}, lambda d: f"sub: {d['sub']}")


@users_app.command("enroll-totp")
def users_enroll_totp(
    username: Annotated[str, typer.Option(help="sub, username, email or NIK")],
    as_json: JsonOpt = False,
) -> None:
    """Provision an authenticator app for an assisted-service account: prints the base32
    secret and the otpauth:// URI once (the factor is active at once)."""
    svc = services()

    def run() -> Any:
        user = svc.users.resolve(username)
        label = svc.users.profile(user).username
        return user.id, svc.factors.totp.provision(user.id, label, actor="operator")

    sub, enrolment = guard(as_json, run)
    emit(
        as_json,
        {"sub": sub, "secret": enrolment.secret, "otpauth_uri": enrolment.uri},
        lambda d: f"secret: {d['secret']}\nuri: {d['otpauth_uri']}",
    )


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    from vault import SubjectErased

    svc = services()
    data = []
    for u in svc.users.list():
        try:
            username = svc.users.profile(u).username
        except SubjectErased:
            username = None  # crypto-shredded: only the opaque sub is left
        data.append({"sub": u.id, "username": username, "created_at": u.created_at})
    emit(as_json, data, lambda d: "\n".join(f"{u['sub']}  {u['username']}" for u in d))


@users_app.command("erase")
def users_erase(
    username: Annotated[str, typer.Option(help="sub, username, email or NIK")],
    as_json: JsonOpt = False,
) -> None:
    """Crypto-shred a user: their data key is destroyed, every sealed field is unrecoverable."""
    erase_user(username, as_json)
