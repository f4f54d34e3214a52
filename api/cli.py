"""The operator CLI `satupintu`. Every command takes --json for automation."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any, NoReturn

import typer

from api.cli_vault import erase_user, vault_app
from api.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="SatuPintu operator CLI.",
)
orgs_app = typer.Typer(no_args_is_help=True, help="Organisations (regional agencies).")
clients_app = typer.Typer(no_args_is_help=True, help="OAuth/OIDC clients (regional apps).")
users_app = typer.Typer(no_args_is_help=True, help="User accounts.")
keys_app = typer.Typer(no_args_is_help=True, help="Token signing keys.")
sessions_app = typer.Typer(no_args_is_help=True, help="SSO sessions.")
app.add_typer(orgs_app, name="orgs")
app.add_typer(clients_app, name="clients")
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="keys")
app.add_typer(sessions_app, name="sessions")
app.add_typer(vault_app, name="vault")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]


class AdminRoleOpt(StrEnum):
    """Who a client of the admin API acts for (idp.oauth.admin_access)."""

    national = "national"
    organisation = "organisation"
    none = "none"

    def role(self) -> Any:
        return None if self is AdminRoleOpt.none else self.value


def _settings() -> Settings:
    """The settings from the environment; a bad value stops the command with what was wrong."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        _fail("--json" in sys.argv, f"invalid configuration: {problems}", 2)


def _services(keys: bool = True):
    from api.services import build_services
    from vault import KeyUnavailable

    try:
        svc = build_services(_settings())
    except KeyUnavailable as exc:
        _fail("--json" in sys.argv, f"key service unavailable: {exc}", 3)
    if keys:
        svc.keys.ensure()
    return svc


def _emit(as_json: bool, data: Any, human: Callable[[Any], str]) -> None:
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
    else:
        typer.echo(human(data))


def _fail(as_json: bool, message: str, code: int = 1) -> NoReturn:
    if as_json:
        typer.echo(json.dumps({"error": message}), err=True)
    else:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _warn(as_json: bool, message: str) -> None:
    """Accepted, but may not work yet: said on stderr, so stdout stays the result."""
    typer.echo(json.dumps({"warning": message}) if as_json else f"warning: {message}", err=True)


def _guard(as_json: bool, fn: Callable[[], Any]) -> Any:
    from idp.errors import IdpError
    from vault import KeyUnavailable

    try:
        return fn()
    except IdpError as exc:
        _fail(as_json, str(exc))
    except KeyUnavailable as exc:
        _fail(as_json, f"key service unavailable: {exc}", 3)


@app.command()
def migrate(as_json: JsonOpt = False) -> None:
    """Create or upgrade the database schema."""
    from api.migrate import upgrade

    settings = _settings()
    upgrade(settings)
    _services().close()  # first run: keyring and signing keys
    _emit(
        as_json,
        {"status": "ok", "database": settings.db_url.split("@")[-1]},
        lambda d: f"database migrated: {d['database']}",
    )


@app.command()
def housekeeping(as_json: JsonOpt = False) -> None:
    """Drop expired codes, tokens, challenges and counters now (the server also does it hourly)."""
    svc = _services()
    try:
        dropped = svc.housekeeping.run()
    finally:
        svc.close()
    _emit(
        as_json,
        {"dropped": dropped},
        lambda d: "\n".join(f"{t}: {n}" for t, n in d["dropped"].items()),
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the identity provider."""
    import uvicorn

    from api.asgi.http_protocol import http_protocol
    from api.server_log import log_config

    settings = _settings()
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
        # and body in one write (api/http_protocol.py)
        http=http_protocol(settings),
    )


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Option(help="Organisation name")], as_json: JsonOpt = False
) -> None:
    svc = _services()
    org = _guard(as_json, lambda: svc.orgs.create(name))
    _emit(as_json, {"id": org.id, "name": org.name}, lambda d: f"{d['id']}  {d['name']}")


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
    svc = _services()
    row = _guard(as_json, lambda: svc.orgs.update(org, require_mfa=require_mfa))
    _emit(
        as_json,
        {"id": row.id, "name": row.name, "require_mfa": row.require_mfa},
        lambda d: f"{d['id']}  {d['name']}  require_mfa={d['require_mfa']}",
    )


@orgs_app.command("list")
def orgs_list(as_json: JsonOpt = False) -> None:
    svc = _services()
    data = [{"id": o.id, "name": o.name} for o in svc.orgs.list()]
    _emit(as_json, data, lambda d: "\n".join(f"{o['id']}  {o['name']}" for o in d))


def _client_json(client: Any, secret: str | None = None) -> dict[str, Any]:
    out = {
        "client_id": client.client_id,
        "client_name": client.name,
        "org_id": client.org_id,
        **client.metadata,
    }
    if secret:
        out["client_secret"] = secret
    return out


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="Client (application) name")],
    org: Annotated[str | None, typer.Option(help="Organisation id or name")] = None,
    redirect_uri: Annotated[list[str] | None, typer.Option(help="Redirect URI (repeat)")] = None,
    post_logout_redirect_uri: Annotated[
        list[str] | None, typer.Option(help="Where logout may return to (repeat)")
    ] = None,
    grant_type: Annotated[list[str] | None, typer.Option(help="Grant type (repeat)")] = None,
    scope: Annotated[
        str, typer.Option(help="Scopes the client may ask for, space-separated")
    ] = "openid profile email",
    public: Annotated[bool, typer.Option(help="Public client (PKCE, no secret)")] = False,
    backchannel_logout_uri: Annotated[
        str | None, typer.Option(help="Where logout tokens are POSTed (back-channel logout)")
    ] = None,
    subject_type: Annotated[str, typer.Option(help="public or pairwise")] = "public",
    sector_identifier_uri: Annotated[
        str | None,
        typer.Option(help="JSON array of the redirect URIs sharing pairwise subjects"),
    ] = None,
    auth_method: Annotated[
        str | None,
        typer.Option(
            "--token-endpoint-auth-method",
            help="client_secret_basic, client_secret_post, private_key_jwt or none",
        ),
    ] = None,
    id_token_alg: Annotated[
        str | None, typer.Option("--id-token-signed-response-alg", help="RS256, ES256 or EdDSA")
    ] = None,
    jwks_uri: Annotated[
        str | None, typer.Option(help="The client's public keys (for private_key_jwt)")
    ] = None,
    scope_claims: Annotated[
        bool,
        typer.Option(
            "--id-token-scope-claims/--no-id-token-scope-claims",
            help="Put the granted scopes' claims (name, email, ...) in the ID token too",
        ),
    ] = False,
    skip_consent: Annotated[
        bool, typer.Option(help="First-party app run by the operator: no consent screen")
    ] = False,
    admin_role: Annotated[
        AdminRoleOpt | None,
        typer.Option(help="Admin API role of this client_credentials client (docs/operations.md)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a client; prints client_id and (for confidential clients) client_secret."""
    svc = _services()

    def run() -> tuple[Any, str | None]:
        org_id = svc.orgs.resolve(org).id if org else None
        meta: dict[str, Any] = {
            "redirect_uris": redirect_uri or [],
            "post_logout_redirect_uris": post_logout_redirect_uri or [],
            "scope": scope,
            "subject_type": subject_type,
            "id_token_scope_claims": scope_claims,
        }
        if grant_type:
            meta["grant_types"] = grant_type
        for key, value in (
            ("backchannel_logout_uri", backchannel_logout_uri),
            ("sector_identifier_uri", sector_identifier_uri),
            ("token_endpoint_auth_method", auth_method),
            ("id_token_signed_response_alg", id_token_alg),
            ("jwks_uri", jwks_uri),
        ):
            if value:
                meta[key] = value
        return svc.clients.create(
            name=name,
            metadata=meta,
            org_id=org_id,
            public=public,
            skip_consent=skip_consent,
            admin_role=admin_role.role() if admin_role else None,
            warn=lambda message: _warn(as_json, message),
        )

    client, secret = _guard(as_json, run)
    _emit(
        as_json,
        _client_json(client, secret),
        lambda d: (
            f"client_id: {d['client_id']}"
            + (f"\nclient_secret: {d['client_secret']}  (shown once)" if secret else "")
        ),
    )


@clients_app.command("update")
def clients_update(
    client_id: Annotated[str, typer.Argument(help="The client's client_id")],
    require_mfa: Annotated[
        bool | None,
        typer.Option("--require-mfa/--no-require-mfa", help="Sign-ins need a second factor"),
    ] = None,
    acr: Annotated[
        list[str] | None,
        typer.Option(help="default_acr_values, e.g. urn:satupintu:acr:mfa (repeat)"),
    ] = None,
    scope_claims: Annotated[
        bool | None,
        typer.Option(
            "--id-token-scope-claims/--no-id-token-scope-claims",
            help="Put the granted scopes' claims in the ID token too, or only at userinfo",
        ),
    ] = None,
    admin_role: Annotated[
        AdminRoleOpt | None,
        typer.Option(help="Grant an admin API role; 'none' takes it away"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a client's sign-in rules (MFA, default acr values), its ID token's claims or
    its admin API role."""
    svc = _services()
    changes: dict[str, Any] = {}
    if require_mfa is not None:
        changes["require_mfa"] = require_mfa
    if acr is not None:
        changes["default_acr_values"] = acr
    if scope_claims is not None:
        changes["id_token_scope_claims"] = scope_claims

    def run() -> Any:
        client = svc.clients.update(client_id, changes)
        if admin_role is not None:
            client = svc.clients.set_admin_role(client_id, admin_role.role())
        return client

    client = _guard(as_json, run)
    _emit(as_json, _client_json(client), lambda d: f"updated {d['client_id']}")


@clients_app.command("list")
def clients_list(as_json: JsonOpt = False) -> None:
    svc = _services()
    data = [_client_json(c) for c in svc.clients.list()]
    _emit(as_json, data, lambda d: "\n".join(f"{c['client_id']}  {c['client_name']}" for c in d))


@clients_app.command("delete")
def clients_delete(
    client_id: Annotated[str, typer.Argument(help="The client's client_id")],
    as_json: JsonOpt = False,
) -> None:
    """Delete a client; every worker stops accepting it within seconds."""
    svc = _services()
    _guard(as_json, lambda: svc.clients.delete(client_id))
    _emit(as_json, {"deleted": client_id}, lambda d: f"deleted {d['deleted']}")


@clients_app.command("initial-token")
def clients_initial_token(
    org: Annotated[
        str | None, typer.Option(help="Organisation the registered clients belong to")
    ] = None,
    uses: Annotated[
        int, typer.Option(min=1, max=1000, help="How many registrations it allows")
    ] = 1,
    hours: Annotated[int, typer.Option(min=1, max=24 * 30, help="Hours until it expires")] = 24,
    as_json: JsonOpt = False,
) -> None:
    """An initial access token for Dynamic Client Registration (RFC 7591)."""
    svc = _services()

    def run() -> str:
        org_id = svc.orgs.resolve(org).id if org else None
        return svc.registration.issue_initial_token(
            org_id=org_id, uses=uses, ttl=timedelta(hours=hours)
        )

    token = _guard(as_json, run)
    _emit(
        as_json, {"initial_access_token": token, "uses": uses}, lambda d: d["initial_access_token"]
    )


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
    svc = _services()

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

    profile = _guard(as_json, run)
    _emit(as_json, {"sub": profile.sub, "username": profile.username}, lambda d: f"sub: {d['sub']}")


@users_app.command("enroll-totp")
def users_enroll_totp(
    username: Annotated[str, typer.Option(help="sub, username, email or NIK")],
    as_json: JsonOpt = False,
) -> None:
    """Provision an authenticator app for an assisted-service account: prints the base32
    secret and the otpauth:// URI once (the factor is active at once)."""
    svc = _services()

    def run() -> Any:
        user = svc.users.resolve(username)
        label = svc.users.profile(user).username
        return user.id, svc.factors.totp.provision(user.id, label, actor="operator")

    sub, enrolment = _guard(as_json, run)
    _emit(
        as_json,
        {"sub": sub, "secret": enrolment.secret, "otpauth_uri": enrolment.uri},
        lambda d: f"secret: {d['secret']}\nuri: {d['otpauth_uri']}",
    )


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    from vault import SubjectErased

    svc = _services()
    data = []
    for u in svc.users.list():
        try:
            username = svc.users.profile(u).username
        except SubjectErased:
            username = None  # crypto-shredded: only the opaque sub is left
        data.append({"sub": u.id, "username": username, "created_at": u.created_at})
    _emit(as_json, data, lambda d: "\n".join(f"{u['sub']}  {u['username']}" for u in d))


@users_app.command("erase")
def users_erase(
    username: Annotated[str, typer.Option(help="sub, username, email or NIK")],
    as_json: JsonOpt = False,
) -> None:
    """Crypto-shred a user: their data key is destroyed, every sealed field is unrecoverable."""
    erase_user(username, as_json)


@keys_app.command("rotate")
def keys_rotate(as_json: JsonOpt = False) -> None:
    """New signing keys; the old ones stay in JWKS until their tokens have expired."""
    svc = _services()
    new = svc.keys.rotate()
    _emit(as_json, {"new_kids": new}, lambda d: "new keys: " + ", ".join(d["new_kids"]))


@keys_app.command("list")
def keys_list(as_json: JsonOpt = False) -> None:
    svc = _services()
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

    _emit(as_json, data, human)


@sessions_app.command("list")
def sessions_list(
    user: Annotated[str, typer.Option(help="sub, username, email or NIK")], as_json: JsonOpt = False
) -> None:
    svc = _services()
    u = _guard(as_json, lambda: svc.users.resolve(user))
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
    _emit(as_json, data, lambda d: "\n".join(f"{s['sid']}  {s['clients']}" for s in d))


@sessions_app.command("revoke")
def sessions_revoke(
    sid: Annotated[str, typer.Argument(help="Session id (from `sessions list`)")],
    as_json: JsonOpt = False,
) -> None:
    """End a session everywhere (back-channel logout to its apps)."""
    svc = _services()
    ended = svc.logout.end(sid, actor="operator", reason="operator")
    if ended is None:
        _fail(as_json, "no active session with that id")
    report = svc.logout.deliver_due()
    _emit(
        as_json,
        {"revoked": sid, "backchannel_delivered": report.delivered},
        lambda d: f"revoked {d['revoked']}",
    )


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
