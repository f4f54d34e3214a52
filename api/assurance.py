"""What each route needs to know of its visitor before it does anything, and the lookups that
tell it (OWASP ASVS V3 session management, V4 access control).

Every route declares its level with `@assurance(...)`; `tests/api/test_route_assurance.py`
walks every route of the app, refuses to pass one without a declaration, and calls each with a
sign-in whose second factor is still due, expecting nothing but the second-factor step to open.

A sign-in whose password was right but whose second factor is due is not a session: it has a
cookie and a table of its own (idp.signin.pending), which only `second_factor_step` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request

from api.services import Services
from idp.signin.sessions import ActiveSession


class Assurance(StrEnum):
    PUBLIC = "public"  # reads no session: sign-in and sign-up forms, discovery, static files
    CLIENT = "client"  # an OAuth client or a bearer token authenticates the call
    OPTIONAL_SESSION = "optional_session"  # uses a full session when there is one
    SECOND_FACTOR = "second_factor"  # a sign-in whose second factor is due, or a step-up
    SESSION = "session"  # a full SSO session
    MFA_SESSION = "mfa_session"  # a full session that used its second factor, if one exists


F = TypeVar("F", bound=Callable[..., Any])


def assurance(level: Assurance) -> Callable[[F], F]:
    def mark(endpoint: F) -> F:
        endpoint.__assurance__ = level  # type: ignore[attr-defined]
        return endpoint

    return mark


def declared(endpoint: Callable[..., Any]) -> Assurance | None:
    return getattr(endpoint, "__assurance__", None)


def session_of(request: Request, svc: Services) -> ActiveSession | None:
    """The visitor's full SSO session, if any."""
    return svc.sessions.lookup(request.cookies.get(svc.settings.cookie_name))


@dataclass(frozen=True)
class SecondFactorStep:
    """Whose second factor the step checks, with the factors already used. `pending` is the
    sign-in cookie to consume, or None when a full session is stepping up."""

    user_id: str
    amr: list[str]
    pending: str | None


def second_factor_step(request: Request, svc: Services) -> SecondFactorStep | None:
    pending = request.cookies.get(svc.settings.signin_cookie_name)
    due = svc.pending_signins.lookup(pending)
    if due is not None:
        return SecondFactorStep(due.user_id, due.amr, pending)
    session = session_of(request, svc)
    if session is not None:
        return SecondFactorStep(session.user_id, session.amr, None)
    return None
