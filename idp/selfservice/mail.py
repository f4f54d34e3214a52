"""Outgoing email: a small Mailer contract, an SMTP adapter for production and a file outbox
for the embedded default and for tests.

The outbox writes one .eml per message under VAR_DIR/outbox/ and logs that a message went out,
but never its body: the body carries single-use links.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import time
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from idp.errors import IdpError

log = logging.getLogger("satupintu.mail")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    kind: str  # what the message is about (verify_email, password_reset, ...); safe to log


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class MailError(IdpError):
    """The message could not be handed over."""

    code = "mail_undelivered"


def to_message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    return msg


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "SatuPintu <no-reply@satupintu.go.id>"
    starttls: bool = True
    timeout: float = 10.0


class SmtpMailer:
    """Hands each message to an SMTP relay, upgrading with STARTTLS (certificate verified)."""

    def __init__(self, config: SmtpConfig, tls: ssl.SSLContext | None = None) -> None:
        self._config = config
        self._tls = tls or ssl.create_default_context()

    def send(self, mail: Mail) -> None:
        c = self._config
        try:
            with smtplib.SMTP(c.host, c.port, timeout=c.timeout) as smtp:
                smtp.ehlo()
                if c.starttls:
                    smtp.starttls(context=self._tls)
                    smtp.ehlo()
                if c.user:
                    smtp.login(c.user, c.password or "")
                smtp.send_message(to_message(mail, c.sender))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(type(exc).__name__) from exc
        log.info("mail sent: kind=%s", mail.kind)


class FileOutbox:
    """Writes each message as an .eml file (mode 0600): the embedded default."""

    def __init__(self, directory: Path, sender: str) -> None:
        self.directory = directory
        self._sender = sender

    def send(self, mail: Mail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.eml"
        path.touch(mode=0o600)
        path.write_bytes(bytes(to_message(mail, self._sender)))
        log.info("mail written to outbox: kind=%s file=%s", mail.kind, path.name)

    def messages(self) -> list[EmailMessage]:
        """Every message in the outbox, oldest first (for operators and tests)."""
        from email import message_from_bytes, policy

        files = sorted(self.directory.glob("*.eml"))
        out: list[EmailMessage] = []
        for p in files:
            msg = message_from_bytes(p.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out
