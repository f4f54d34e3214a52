"""`satupintu clients ...`: register, change, list and delete OAuth/OIDC clients, and issue
initial access tokens for Dynamic Client Registration."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer

from api.cli.common import JsonOpt, emit, guard, services, warn

clients_app = typer.Typer(no_args_is_help=True, help="OAuth/OIDC clients (regional apps).")


class AdminRoleOpt(StrEnum):
    """Who a client of the admin API acts for (idp.oauth.admin_access)."""

    national = "national"
    organisation = "organisation"
    none = "none"

    def role(self) -> Any:
        return None if self is AdminRoleOpt.none else self.value


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
    svc = services()

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
            warn=lambda message: warn(as_json, message),
        )

    client, secret = guard(as_json, run)
    emit(
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
    svc = services()
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

    client = guard(as_json, run)
    emit(as_json, _client_json(client), lambda d: f"updated {d['client_id']}")


@clients_app.command("list")
def clients_list(as_json: JsonOpt = False) -> None:
    svc = services()
    data = [_client_json(c) for c in svc.clients.list()]
    emit(as_json, data, lambda d: "\n".join(f"{c['client_id']}  {c['client_name']}" for c in d))


@clients_app.command("delete")
def clients_delete(
    client_id: Annotated[str, typer.Argument(help="The client's client_id")],
    as_json: JsonOpt = False,
) -> None:
    """Delete a client; every worker stops accepting it within seconds."""
    svc = services()
    guard(as_json, lambda: svc.clients.delete(client_id))
    emit(as_json, {"deleted": client_id}, lambda d: f"deleted {d['deleted']}")


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
    svc = services()

    def run() -> str:
        org_id = svc.orgs.resolve(org).id if org else None
        return svc.registration.issue_initial_token(
            org_id=org_id, uses=uses, ttl=timedelta(hours=hours)
        )

    token = guard(as_json, run)
    emit(
        as_json, {"initial_access_token": token, "uses": uses}, lambda d: d["initial_access_token"]
    )
