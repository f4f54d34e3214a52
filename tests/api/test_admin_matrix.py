"""Who may do what through the admin API: every route, for every kind of caller, against
resources of the caller's organisation, of another organisation and of none.

A national administrator acts everywhere; an organisation's administrator only inside its own
organisation (another organisation's resources answer 404, as if they did not exist); anything
else — a client without an operator-granted role, a user's token, a client whose role was taken
away after its token was issued — is refused everywhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.oidc_rp import code_flow, exchange, register
from tests.routes import http_routes

PASSWORD = "kata-sandi-rahasia"
ORGS = ("A", "B", None)  # None: a resource of no organisation (a citizen, a national app)


@dataclass
class World:
    web: Any
    services: Any
    org: dict[str | None, Any]
    tokens: dict[str, str]

    def org_id(self, ref: str | None) -> str | None:
        return self.org[ref].id if ref else None

    def client(self, ref: str | None) -> str:
        c, _ = self.services.clients.create(
            name=f"App {ref}",
            org_id=self.org_id(ref),
            metadata={"redirect_uris": ["https://app.example/cb"], "scope": "openid"},
        )
        return c.client_id

    def user(self, ref: str | None, name: str) -> str:
        return self.services.users.create(
            username=name, password=PASSWORD, org_id=self.org_id(ref)
        ).sub

    def session(self, ref: str | None, name: str) -> tuple[str, str]:
        sub = self.user(ref, name)
        active, _ = self.services.sessions.establish(sub, acr=None, amr=["pwd"])
        return sub, active.sid


def _admin_token(web, services, role: str | None, org_id: str | None) -> str:
    client, secret = services.clients.create(
        name=f"Operator {role}",
        org_id=org_id,
        metadata={"grant_types": ["client_credentials"], "scope": "openid"},
        admin_role=role,
    )
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "satupintu:admin"},
        auth=(client.client_id, secret),
    )
    assert r.status_code == 200, r.text
    return r.json()["access_token"]


@pytest.fixture
def world(web, services) -> World:
    org = {ref: services.orgs.create(f"Dinas {ref}") for ref in ("A", "B")}
    tokens = {
        "national": _admin_token(web, services, "national", None),
        "org_a": _admin_token(web, services, "organisation", org["A"].id),
    }
    # A role taken away after the token was issued: the token is worth nothing any more.
    former, secret = services.clients.create(
        name="Former operator",
        org_id=org["A"].id,
        metadata={"grant_types": ["client_credentials"], "scope": "openid"},
        admin_role="national",
    )
    r = web.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": "satupintu:admin"},
        auth=(former.client_id, secret),
    )
    tokens["former"] = r.json()["access_token"]
    services.clients.set_admin_role(former.client_id, None)
    # A citizen's own token, from signing in to an app.
    services.users.create(username="warga", password=PASSWORD)
    app = register(services, scope="openid")
    cb, _, verifier = code_flow(web, app, "warga", PASSWORD, scope="openid")
    tokens["user"] = exchange(web, app, cb["code"], verifier).json()["access_token"]
    return World(web, services, {None: None, **org}, tokens)


@dataclass(frozen=True)
class Operation:
    method: str
    route: str
    # Builds the request for a target organisation: (path, JSON body), and checks afterwards
    # whether the operation took effect.
    prepare: Callable[[World, str | None], tuple[str, dict[str, Any] | None, Callable[[], bool]]]
    org_admin: dict[str | None, int]  # the org-A administrator's answer, per target (A, B, None)
    national: int


def _org_create(w: World, ref: str | None):
    name = f"Dinas Baru {ref}"
    made = lambda: any(o.name == name for o in w.services.orgs.list())  # noqa: E731
    return "/api/v1/orgs", {"name": name}, made


def _org_update(w: World, ref: str | None):
    org = w.org[ref]
    return (
        f"/api/v1/orgs/{org.id}",
        {"require_mfa": True},
        lambda: bool(w.services.orgs.resolve(org.id).require_mfa),
    )


def _client_create(w: World, ref: str | None):
    name = f"Aplikasi {ref}"
    body: dict[str, Any] = {"name": name, "redirect_uris": ["https://new.example/cb"]}
    if ref:
        body["org"] = w.org[ref].name
    return (
        "/api/v1/clients",
        body,
        lambda: any(c.name == name for c in w.services.clients.list()),
    )


def _client_update(w: World, ref: str | None):
    cid = w.client(ref)
    return (
        f"/api/v1/clients/{cid}",
        {"require_mfa": True},
        lambda: bool(w.services.clients.require(cid).metadata.get("require_mfa")),
    )


def _client_delete(w: World, ref: str | None):
    cid = w.client(ref)
    return f"/api/v1/clients/{cid}", None, lambda: w.services.clients.get(cid) is None


def _user_create(w: World, ref: str | None):
    name = f"pengguna{ref or 'x'}".lower()
    body: dict[str, Any] = {"username": name, "password": PASSWORD}
    if ref:
        body["org"] = w.org[ref].name
    return "/api/v1/users", body, lambda: w.services.users.find_by_login(name) is not None


def _sessions_list(w: World, ref: str | None):
    sub, _ = w.session(ref, f"lihat{ref or 'x'}".lower())
    return f"/api/v1/users/{sub}/sessions", None, lambda: True


def _session_revoke(w: World, ref: str | None):
    _, sid = w.session(ref, f"akhiri{ref or 'x'}".lower())
    return f"/api/v1/sessions/{sid}", None, lambda: w.services.sessions.get(sid) is None


def _nothing(path: str):
    def prepare(w: World, ref: str | None):
        return path, None, lambda: True

    return prepare


EVERYWHERE = dict.fromkeys(ORGS, 200)
OWN_ONLY = {"A": 200, "B": 404, None: 404}
# An organisation of no organisation does not exist: only A and B are targets here.
OWN_ORG = {"A": 200, "B": 404}

OPERATIONS = {
    "list orgs": Operation("GET", "/api/v1/orgs", _nothing("/api/v1/orgs"), EVERYWHERE, 200),
    "create org": Operation("POST", "/api/v1/orgs", _org_create, dict.fromkeys(ORGS, 403), 201),
    "update org": Operation("PATCH", "/api/v1/orgs/{ref}", _org_update, OWN_ORG, 200),
    "list clients": Operation(
        "GET", "/api/v1/clients", _nothing("/api/v1/clients"), EVERYWHERE, 200
    ),
    # An organisation's administrator creates inside its own organisation, named or not.
    "create client": Operation(
        "POST", "/api/v1/clients", _client_create, {"A": 201, "B": 403, None: 201}, 201
    ),
    "update client": Operation(
        "PATCH", "/api/v1/clients/{client_id}", _client_update, OWN_ONLY, 200
    ),
    "delete client": Operation(
        "DELETE",
        "/api/v1/clients/{client_id}",
        _client_delete,
        {"A": 204, "B": 404, None: 404},
        204,
    ),
    "create user": Operation(
        "POST", "/api/v1/users", _user_create, {"A": 201, "B": 403, None: 201}, 201
    ),
    "list sessions": Operation(
        "GET", "/api/v1/users/{sub}/sessions", _sessions_list, OWN_ONLY, 200
    ),
    "revoke session": Operation(
        "DELETE", "/api/v1/sessions/{sid}", _session_revoke, {"A": 204, "B": 404, None: 404}, 204
    ),
    "list keys": Operation(
        "GET", "/api/v1/keys", _nothing("/api/v1/keys"), dict.fromkeys(ORGS, 403), 200
    ),
}


def _expected(caller: str, op: Operation, ref: str | None) -> int:
    if caller == "national":
        return op.national
    if caller == "org_a":
        return op.org_admin[ref]
    return 403  # a valid token of ours, but no administrator behind it


@pytest.mark.parametrize("caller", ["national", "org_a", "former", "user", "anonymous"])
def test_every_admin_route_for_every_caller_and_organisation(world, caller):
    wrong = []
    for name, op in OPERATIONS.items():
        for ref in op.org_admin:
            path, body, took_effect = op.prepare(world, ref)
            headers = {}
            if caller != "anonymous":
                headers["Authorization"] = f"Bearer {world.tokens[caller]}"
            r = world.web.request(op.method, path, json=body, headers=headers)
            want = 401 if caller == "anonymous" else _expected(caller, op, ref)
            if r.status_code != want:
                wrong.append(f"{name} on {ref}: {r.status_code} (want {want}) {r.text[:120]}")
            elif want >= 400:
                assert r.headers["content-type"] == "application/problem+json"
                if op.method != "GET" and took_effect():
                    wrong.append(f"{name} on {ref}: refused, yet it took effect")
            elif op.method != "GET" and not took_effect():
                wrong.append(f"{name} on {ref}: {want}, yet nothing changed")
    assert not wrong, "\n".join(wrong)


def test_an_organisation_administrator_sees_only_its_own(world):
    w = world
    mine, theirs = w.client("A"), w.client("B")
    h = {"Authorization": f"Bearer {w.tokens['org_a']}"}
    orgs = w.web.get("/api/v1/orgs", headers=h).json()
    assert [o["id"] for o in orgs] == [w.org["A"].id]
    listed = {c["client_id"] for c in w.web.get("/api/v1/clients", headers=h).json()}
    assert mine in listed and theirs not in listed
    assert all(c["org_id"] == w.org["A"].id for c in w.web.get("/api/v1/clients", headers=h).json())
    # What it creates lands in its organisation, whatever it names.
    made = w.web.post(
        "/api/v1/clients", json={"name": "Baru", "redirect_uris": ["https://b.ex/cb"]}, headers=h
    )
    assert made.json()["org_id"] == w.org["A"].id
    user = w.web.post("/api/v1/users", json={"username": "baru", "password": PASSWORD}, headers=h)
    assert w.services.users.get(user.json()["sub"]).org_id == w.org["A"].id


def test_only_a_national_administrator_grants_an_administrator_role(world):
    w = world
    body = {
        "name": "Operator baru",
        "grant_types": ["client_credentials"],
        "admin_role": "organisation",
    }
    refused = w.web.post(
        "/api/v1/clients", json=body, headers={"Authorization": f"Bearer {w.tokens['org_a']}"}
    )
    assert refused.status_code == 403
    made = w.web.post(
        "/api/v1/clients",
        json={**body, "org": w.org["B"].name},
        headers={"Authorization": f"Bearer {w.tokens['national']}"},
    )
    assert made.status_code == 201 and made.json()["admin_role"] == "organisation"


def test_the_matrix_covers_every_admin_route(app):
    routes = {
        (method, path)
        for method, path, _ in http_routes(app)
        if path.startswith("/api/v1/") and path != "/api/v1/openapi.json"
    }
    covered = {(op.method, op.route) for op in OPERATIONS.values()}
    assert routes == covered
