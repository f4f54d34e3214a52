"""What the grants and token endpoints share, passed by constructor (fosite's composition root):
one value built in `api.services`, so no grant or endpoint imports the server that holds it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from audit import AuditSink
from idp.clock import Clock
from idp.oauth.clients import ClientRegistry
from idp.oauth.keys import KeyRing
from idp.oauth.subjects import SubjectMapper
from idp.oauth.tokens import TokenService
from idp.outbound import OutboundClient


@dataclass
class ServerContext:
    """Everything the grants and endpoints need, passed by constructor."""

    db: sessionmaker[Session]
    clock: Clock
    issuer: str
    keys: KeyRing
    tokens: TokenService
    subjects: SubjectMapper
    clients: ClientRegistry
    audit: AuditSink
    outbound: OutboundClient
    code_ttl: int = 60
    refresh_grace_seconds: int = 0
