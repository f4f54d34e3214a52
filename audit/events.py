"""The shape of an audit event. Never holds plaintext personal data: subjects are opaque ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


@dataclass(frozen=True)
class AuditEvent:
    """One security-relevant event.

    `type` is a dotted name (`login.success`, `token.issue`, `client.create`, ...);
    `actor` is who acted (a user sub, `client:<id>`, `operator`, `system`); `subject` is whose
    data or account was touched.
    """

    type: str
    outcome: Outcome = Outcome.SUCCESS
    actor: str | None = None
    subject: str | None = None
    client_id: str | None = None
    org_id: str | None = None
    purpose: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
