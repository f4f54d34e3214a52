"""The inlined token path behind one seam: a grant declares that its audit row may follow the
answer's commit, the server says which requests it can inline and reports the rows it deferred,
and the endpoint commits them before it releases the token."""

from __future__ import annotations

import asyncio
import base64

from authlib.oauth2.rfc6749 import grants
from sqlalchemy import text

from api import token_endpoint
from api.token_endpoint import token_response
from idp.oauth.grants.client_credentials import ClientCredentialsGrant
from idp.oauth.requests import HttpRequest
from idp.oidc.provider import OpenIDProvider
from tests.oidc_rp import register


def _token_request(services, c) -> HttpRequest:
    basic = base64.b64encode(f"{c.client_id}:{c.secret}".encode()).decode()
    return HttpRequest(
        "POST",
        services.settings.issuer_base + "/token",
        {"authorization": f"Basic {basic}"},
        form=[("grant_type", "client_credentials")],
    )


def _committed(services, type_: str) -> int:
    with services.engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM audit_events WHERE type = :t"), {"t": type_}
        )
        return int(found.scalar())


def test_only_a_grant_that_declares_its_audit_row_may_follow_can_be_inlined(services):
    server = services.server
    for grant_cls, _ in server._token_grants:
        declared = bool(getattr(grant_cls, "AUDIT_FOLLOWS_COMMIT", False))
        assert server.can_inline(grant_cls.GRANT_TYPE) is declared
    assert server.can_inline("client_credentials")
    for other in ("authorization_code", "refresh_token", "password", "urn:x", "", None):
        assert not server.can_inline(other)

    class Quiet(grants.ClientCredentialsGrant):  # declares nothing
        GRANT_TYPE = "urn:test:quiet"

    class Strict(ClientCredentialsGrant):  # a subclass that takes the declaration back
        GRANT_TYPE = "urn:test:strict"
        AUDIT_FOLLOWS_COMMIT = False

    server.register_grant(Quiet)
    server.register_grant(Strict)
    assert not server.can_inline("urn:test:quiet") and not server.can_inline("urn:test:strict")


def test_the_deferred_row_is_reported_and_committed_before_the_answer(services):
    c = register(services, grant_types=["client_credentials"], scope="openid")
    answer = services.server.issue_token(_token_request(services, c))
    assert answer.response.status == 200 and not answer.client_auth_failed
    assert [e.type for e in answer.deferred] == ["token.issue"]
    assert answer.deferred[0].client_id == c.client_id
    assert _committed(services, "token.issue") == 0  # the server reports it; it writes nothing

    async def answered() -> int:
        response = await token_response(services, _token_request(services, c))
        # Read on a connection of its own the moment the answer exists, before it is sent.
        return response.status_code * 1000 + _committed(services, "token.issue")

    assert asyncio.run(answered()) == 200 * 1000 + 1


def test_a_grant_that_does_not_declare_it_is_never_inlined(web, services, monkeypatch):
    monkeypatch.setattr(ClientCredentialsGrant, "AUDIT_FOLLOWS_COMMIT", False)
    server = OpenIDProvider(services.server.ctx)
    monkeypatch.setattr(services, "server", server)
    c = register(services, grant_types=["client_credentials"], scope="openid")
    answer = server.issue_token(_token_request(services, c))
    # Its row goes into the grant's own transaction, committed with it: nothing deferred.
    assert answer.response.status == 200 and answer.deferred == ()
    assert _committed(services, "token.issue") == 1

    hops: list[object] = []
    real = token_endpoint.run_in_threadpool

    async def counted(fn, *args, **kwargs):
        hops.append(fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(token_endpoint, "run_in_threadpool", counted)
    r = web.post("/token", data={"grant_type": "client_credentials"}, auth=(c.client_id, c.secret))
    assert r.status_code == 200, r.text
    assert server.issue_token in hops  # on a worker thread, not the event loop
    assert _committed(services, "token.issue") == 2


def test_a_declared_grant_of_a_cached_client_is_answered_on_the_event_loop(
    web, services, monkeypatch
):
    c = register(services, grant_types=["client_credentials"], scope="openid")
    assert (
        web.post(
            "/token", data={"grant_type": "client_credentials"}, auth=(c.client_id, c.secret)
        ).status_code
        == 200
    )  # the client is cached from here on
    hops: list[object] = []
    real = token_endpoint.run_in_threadpool

    async def counted(fn, *args, **kwargs):
        hops.append(fn)
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(token_endpoint, "run_in_threadpool", counted)
    r = web.post("/token", data={"grant_type": "client_credentials"}, auth=(c.client_id, c.secret))
    assert r.status_code == 200 and services.server.issue_token not in hops
    assert _committed(services, "token.issue") == 2
