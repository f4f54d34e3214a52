"""The SMTP adapter against a real in-process SMTP server (aiosmtpd) with STARTTLS."""

from __future__ import annotations

import datetime as dt
import socket
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from idp.selfservice.mail import FileOutbox, MailError, SmtpConfig, SmtpMailer
from idp.selfservice.notices import notice


class Collect(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received: list = []

    def handle_message(self, message) -> None:
        self.received.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tls(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def test_smtp_with_starttls_delivers_a_bilingual_message(tls):
    server_tls, client_tls = tls
    handler = Collect()
    port = free_port()
    ctl = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True
    )
    ctl.start()
    try:
        mailer = SmtpMailer(
            SmtpConfig(host="localhost", port=port, sender="SatuPintu <no-reply@satupintu.go.id>"),
            tls=client_tls,
        )
        mailer.send(notice("password_reset", "ratna@contoh.id", link="https://sp/x?token=abc"))
    finally:
        ctl.stop()
    assert len(handler.received) == 1
    msg = handler.received[0]
    assert msg["To"] == "ratna@contoh.id" and "Atur ulang" in msg["Subject"]
    body = msg.get_payload(decode=True).decode()
    assert "kata sandi baru" in body and "new password" in body and "token=abc" in body


def test_smtp_refuses_an_untrusted_certificate(tls):
    server_tls, _ = tls
    port = free_port()
    ctl = Controller(
        Collect(), hostname="127.0.0.1", port=port, tls_context=server_tls, require_starttls=True
    )
    ctl.start()
    try:
        with pytest.raises(MailError):
            SmtpMailer(SmtpConfig(host="localhost", port=port)).send(
                notice("verify_email", "a@contoh.id", link="https://sp/v")
            )
    finally:
        ctl.stop()


def test_file_outbox_writes_eml_and_logs_without_the_link(tmp_path, caplog):
    outbox = FileOutbox(tmp_path / "outbox", "SatuPintu <no-reply@satupintu.go.id>")
    with caplog.at_level("INFO", logger="satupintu.mail"):
        outbox.send(notice("verify_email", "a@contoh.id", link="https://sp/v?token=SECRET"))
    files = list((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 1 and oct(files[0].stat().st_mode)[-3:] == "600"
    assert "token=SECRET" in outbox.messages()[0].get_content()
    assert "SECRET" not in caplog.text and "verify_email" in caplog.text
