"""A session re-established with a newly verified second factor, and whether a session's
second factor was verified recently enough to change the factors themselves."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.services import Services
from idp.signin.mfa.factors import merge_amr
from idp.signin.mfa.policy import acr_for
from idp.signin.sessions import ActiveSession


async def upgrade(
    request: Request, svc: Services, user_id: str, base_amr: list[str], extra: list[str]
) -> tuple[ActiveSession, str]:
    """Re-establish the session with the new factor: same `sid`, new cookie, new auth_time."""
    amr = merge_amr(base_amr, extra)
    return await run_in_threadpool(
        lambda: svc.sessions.establish(
            user_id,
            acr=acr_for(amr),
            amr=amr,
            current_cookie=request.cookies.get(svc.settings.cookie_name),
            user_agent=request.headers.get("user-agent"),
        )
    )


def recently_verified(svc: Services, session: ActiveSession) -> bool:
    age = (svc.clock() - session.auth_time).total_seconds()
    return "mfa" in session.amr and age <= svc.settings.mfa_reauth_seconds
