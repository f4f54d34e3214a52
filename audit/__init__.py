"""Append-only audit trail of security-relevant events. Imports nothing from the project but
storage."""

from audit.events import AuditEvent, Outcome
from audit.log import AuditLog, AuditSink

__all__ = ["AuditEvent", "AuditLog", "AuditSink", "Outcome"]
