"""The emails SatuPintu sends about an account, each in Bahasa Indonesia and then English.

A message never carries personal data beyond what the recipient already owns, and the links
in it are single-use and short-lived.
"""

from __future__ import annotations

import logging
from datetime import datetime

from idp.selfservice.mail import Mail, Mailer, MailError

log = logging.getLogger("satupintu.mail")

_SIGNATURE = "SatuPintu"

_TEXTS: dict[str, tuple[str, str, str, str]] = {
    # kind: (subject id, body id, subject en, body en); {link} and {when} are filled in.
    "verify_email": (
        "Aktifkan akun SatuPintu Anda",
        "Terima kasih telah mendaftar di SatuPintu.\n"
        "Buka tautan ini untuk memastikan alamat email Anda dan mengaktifkan akun Anda:\n\n"
        "{link}\n\nTautan ini hanya berlaku sekali, sampai {when}.\n"
        "Jika Anda tidak mendaftar, abaikan email ini.",
        "Activate your SatuPintu account",
        "Thank you for registering with SatuPintu.\n"
        "Open this link to confirm your email address and activate your account:\n\n"
        "{link}\n\nThe link works once, until {when}.\n"
        "If you did not register, ignore this email.",
    ),
    "already_registered": (
        "Percobaan pendaftaran dengan data Anda",
        "Seseorang mencoba mendaftar akun SatuPintu baru dengan NIK atau email yang sudah\n"
        "terdaftar pada akun Anda. Akun Anda tidak berubah.\n"
        "Jika itu Anda dan Anda lupa kata sandi, pulihkan di:\n\n{link}\n\n"
        "Jika bukan Anda, tidak perlu melakukan apa pun.",
        "A registration attempt with your details",
        "Someone tried to register a new SatuPintu account with an NIK or email address that\n"
        "already belongs to your account. Your account has not changed.\n"
        "If it was you and you forgot your password, recover it at:\n\n{link}\n\n"
        "If it was not you, there is nothing to do.",
    ),
    "password_reset": (
        "Atur ulang kata sandi SatuPintu",
        "Kami menerima permintaan untuk mengatur ulang kata sandi akun SatuPintu Anda.\n"
        "Buka tautan ini untuk memilih kata sandi baru:\n\n{link}\n\n"
        "Tautan ini hanya berlaku sekali, sampai {when}.\n"
        "Jika Anda tidak memintanya, abaikan email ini; kata sandi Anda tidak berubah.",
        "Reset your SatuPintu password",
        "We received a request to reset the password of your SatuPintu account.\n"
        "Open this link to choose a new password:\n\n{link}\n\n"
        "The link works once, until {when}.\n"
        "If you did not ask for this, ignore this email; your password has not changed.",
    ),
    "password_changed": (
        "Kata sandi SatuPintu Anda telah diubah",
        "Kata sandi akun SatuPintu Anda baru saja diubah, dan sesi lain telah dikeluarkan.\n"
        "Jika bukan Anda yang mengubahnya, segera atur ulang kata sandi di:\n\n{link}",
        "Your SatuPintu password was changed",
        "The password of your SatuPintu account was just changed, and other sessions were\n"
        "signed out. If you did not change it, reset your password now at:\n\n{link}",
    ),
    "session_revoked": (
        "Sesi SatuPintu dikeluarkan",
        "Sebuah sesi masuk pada akun SatuPintu Anda telah dikeluarkan dari halaman akun.\n"
        "Jika bukan Anda, atur ulang kata sandi di:\n\n{link}",
        "A SatuPintu session was signed out",
        "A signed-in session of your SatuPintu account was signed out from the account page.\n"
        "If this was not you, reset your password at:\n\n{link}",
    ),
    "app_revoked": (
        "Akses aplikasi dicabut",
        "Akses sebuah aplikasi ke akun SatuPintu Anda telah dicabut dari halaman akun.\n"
        "Jika bukan Anda, atur ulang kata sandi di:\n\n{link}",
        "An application's access was revoked",
        "An application's access to your SatuPintu account was revoked from the account page.\n"
        "If this was not you, reset your password at:\n\n{link}",
    ),
    "factors_changed": (
        "Cara masuk akun SatuPintu Anda berubah",
        "Cara masuk akun SatuPintu Anda baru saja diubah (aplikasi autentikator, kode\n"
        "pemulihan, atau passkey). Periksa di:\n\n{link}\n\n"
        "Jika bukan Anda yang mengubahnya, segera atur ulang kata sandi Anda.",
        "Your SatuPintu sign-in methods changed",
        "The sign-in methods of your SatuPintu account were just changed (authenticator app,\n"
        "recovery codes or passkey). Review them at:\n\n{link}\n\n"
        "If you did not change them, reset your password now.",
    ),
}

KINDS = tuple(_TEXTS)


def notice(kind: str, to: str, *, link: str, when: str = "") -> Mail:
    subject_id, body_id, subject_en, body_en = _TEXTS[kind]
    body = (
        body_id.format(link=link, when=when)
        + "\n\n-- English --\n\n"
        + body_en.format(link=link, when=when)
        + f"\n\n{_SIGNATURE}\n"
    )
    return Mail(to=to, subject=f"{subject_id} / {subject_en}", text=body, kind=kind)


class Notifier:
    """Builds links under the issuer and sends notices. A mail failure is logged, never raised:
    the user-facing answer must not change with the mail relay's health."""

    def __init__(self, mailer: Mailer, issuer: str) -> None:
        self.mailer, self.issuer = mailer, issuer.rstrip("/")

    def send(self, kind: str, to: str | None, path: str, *, when: datetime | None = None) -> bool:
        if not to:
            return False
        stamp = when.strftime("%Y-%m-%d %H:%M UTC") if when else ""
        try:
            self.mailer.send(notice(kind, to, link=self.issuer + path, when=stamp))
        except MailError:
            log.warning("mail not sent: kind=%s", kind)
            return False
        return True
