"""A credential used twice: a replayed authorization code (RFC 6749 §4.1.2) or a rotated-out
refresh token presented again (RFC 9700 §4.14.2). Someone holds a copy, so the whole grant is
revoked, and the revocation is audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from audit import AuditEvent, Outcome
from idp.oauth.context import ServerContext
from storage import UnitOfWork


def revoke_copied_grant(
    ctx: ServerContext, s: Session, grant_id: str, reason: str, *, subject: str, client_id: str
) -> None:
    """Revoke `grant_id` and record `token.<reason>`. The request's own transaction `s` ends
    in an error and rolls back, so both go in a transaction of their own."""
    s.rollback()
    with ctx.db.begin() as side:
        ctx.tokens.revoke_grant(side, grant_id, reason)
        ctx.audit.record(
            AuditEvent(
                f"token.{reason}",
                Outcome.DENIED,
                subject=subject,
                client_id=client_id,
                detail={"grant": grant_id},
            ),
            work=UnitOfWork.of(side),
        )
