"""The token endpoint (RFC 6749 §3.2): Authlib's grants behind the client limiter, and the
audit row of every issued token committed before the token leaves."""

from __future__ import annotations

import contextlib

from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.adapter import to_response
from api.errors import oauth_error
from api.services import Services
from api.throttle import basic_client_id, too_many_oauth
from audit import AuditEvent, Outcome
from idp.oauth.requests import HttpRequest
from idp.signin.ratelimit import Throttled


def _client_auth_failed(svc: Services, client_id: str | None, ip: str | None) -> Throttled | None:
    """A failed client authentication counts against the client and the IP; once either is
    being slowed down, failures are answered 429 instead of 401.

    The right secret is never refused: client secrets are 256-bit random values that nobody
    guesses, so refusing them would only let anyone who knows a (public) client_id lock a
    regional app out of its tokens by sending bad secrets."""
    key = svc.limiter.key("client", client_id) if client_id else None
    # Counted after the fact (the right secret never waits), but counted and judged in one
    # atomic step: concurrent failures cannot each find the limit not yet reached.
    attempt = svc.limiter.begin(account=key, ip=ip)
    if isinstance(attempt, Throttled):
        return attempt
    svc.audit.record(
        AuditEvent("client.auth", Outcome.FAILURE, detail={"key": key, "endpoint": "token"})
    )
    attempt.failed()
    return None


def _repeated(form: list[tuple[str, str]]) -> str | None:
    """RFC 6749 §3.2: no parameter more than once (RFC 8707's `resource` may repeat)."""
    seen: set[str] = set()
    for name, _ in form:
        if name in seen and name != "resource":
            return name
        seen.add(name)
    return None


async def token_response(svc: Services, req: HttpRequest) -> Response:
    repeated = _repeated(req.form)
    if repeated is not None:
        return oauth_error("invalid_request", f"parameter {repeated!r} is repeated")
    # No per-request cap here: clients authenticate on every call and a busy regional app
    # behind one NAT address must not be capped; failed client authentication is limited.
    form = dict(req.form)
    client_id = basic_client_id(req.headers.get("authorization", ""), req.form)
    inline = (
        svc.server.can_inline(form.get("grant_type"))
        and "client_assertion" not in form
        and svc.clients.is_cached(client_id)
    )
    # An inline grant's audit row goes to the audit writer: announcing it lets rows of
    # concurrent token requests share one commit.
    with svc.audit.expecting() if inline else contextlib.nullcontext():
        if inline:
            # A secret-authenticated grant that writes nothing but its audit row (which goes to
            # the audit writer), of a cached client, touches no database: run it on the event
            # loop rather than pay a worker-thread hop per token. Anything that may block (a
            # client to load, private_key_jwt fetching a jwks_uri and recording the jti) goes
            # to a worker thread.
            issued = svc.server.issue_token(req)
        else:
            issued = await run_in_threadpool(svc.server.issue_token, req)
        if issued.client_auth_failed:
            throttled = await run_in_threadpool(
                _client_auth_failed, svc, client_id, req.remote_addr
            )
            if throttled is not None:
                return too_many_oauth(throttled)
        # The token leaves only once its audit row is committed.
        for event in issued.deferred:
            await svc.audit.submit_async(event)
    return to_response(issued.response)
