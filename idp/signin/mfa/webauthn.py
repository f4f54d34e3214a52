"""Passkeys and security keys (WebAuthn Level 3) on py_webauthn: several per user, named and
removable; usable as a second factor after the password, or alone (passwordless) with user
verification and a discoverable credential.

The RP ID is the issuer's host and the expected origin the issuer's scheme://host[:port].
Challenges live in the database, not in the browser: single use (deleted on first read, by a
compare-and-delete), a few minutes to live, and tied to the purpose and user they were made for.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlsplit

from sqlalchemy import BindParameter, Select, delete, exists, select, update
from sqlalchemy.orm import Session, sessionmaker
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers import parse_authentication_credential_json as parse_assertion
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from audit import AuditEvent, AuditSink, Outcome
from idp.clock import Clock, aware
from idp.errors import IdpError, InvalidInput, NotFound
from idp.secrets import new_secret
from idp.signin.mfa.models import WebAuthnChallenge, WebAuthnCredential
from storage import UnitOfWork

CHALLENGE_TTL = timedelta(minutes=5)
REGISTER, SECOND_FACTOR, PASSWORDLESS = "register", "2fa", "passwordless"
MAX_CREDENTIAL_JSON = 64 * 1024


class PasskeyRejected(IdpError):
    """The ceremony failed: expired challenge, wrong origin, bad signature, unknown key..."""

    code = "passkey_rejected"


@dataclass(frozen=True)
class Passkey:
    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    multi_device: bool


@dataclass(frozen=True)
class PasskeyLogin:
    user_id: str
    amr: str  # RFC 8176: "hwk" for a device-bound key, "swk" for a synced (copyable) one
    user_verified: bool


def _passkey(row: WebAuthnCredential) -> Passkey:
    last = aware(row.last_used_at) if row.last_used_at else None
    return Passkey(row.id, row.name, aware(row.created_at), last, row.multi_device)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())[:64]
    if not name:
        raise InvalidInput("a passkey needs a name")
    return name


class WebAuthnFactors:
    def __init__(
        self,
        db: sessionmaker[Session],
        audit: AuditSink,
        clock: Clock,
        issuer: str,
        rp_name: str = "SatuPintu",
    ) -> None:
        self._db, self._audit, self._clock = db, audit, clock
        parts = urlsplit(issuer)
        self.rp_id = parts.hostname or "localhost"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self._rp_name = rp_name

    # -- challenges ---------------------------------------------------------------------------
    def _store(self, purpose: str, user_id: str | None, challenge: bytes) -> str:
        handle = new_secret(24)
        now = self._clock()
        with self._db.begin() as s:
            s.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.expires_at < now))
            s.add(
                WebAuthnChallenge(
                    id=handle,
                    purpose=purpose,
                    user_id=user_id,
                    challenge=bytes_to_base64url(challenge),
                    expires_at=now + CHALLENGE_TTL,
                )
            )
        return handle

    def _take(self, handle: str, purpose: str, user_id: str | None) -> bytes:
        """The challenge, consumed: whoever deletes the row is the only one who may use it."""
        if not handle or len(handle) > 64:
            raise PasskeyRejected("unknown challenge")
        with self._db.begin() as s:
            row = s.get(WebAuthnChallenge, handle)
            if row is None:
                raise PasskeyRejected("unknown challenge")
            challenge, expires, owner, kind = (
                row.challenge,
                aware(row.expires_at),
                row.user_id,
                row.purpose,
            )
            gone = s.execute(delete(WebAuthnChallenge).where(WebAuthnChallenge.id == handle))
            if getattr(gone, "rowcount", 0) != 1:
                raise PasskeyRejected("challenge already used")
        if expires <= self._clock() or kind != purpose or owner != user_id:
            raise PasskeyRejected("challenge expired or not for this ceremony")
        return base64url_to_bytes(challenge)

    def _rows(self, s: Session, user_id: str) -> list[WebAuthnCredential]:
        stmt = select(WebAuthnCredential).where(WebAuthnCredential.user_id == user_id)
        return list(s.scalars(stmt.order_by(WebAuthnCredential.created_at)))

    # -- registration -------------------------------------------------------------------------
    def registration_options(self, user_id: str, user_name: str) -> tuple[str, dict[str, Any]]:
        with self._db() as s:
            existing = [
                PublicKeyCredentialDescriptor(id=base64url_to_bytes(r.credential_id))
                for r in self._rows(s, user_id)
            ]
        options = generate_registration_options(
            rp_id=self.rp_id,
            rp_name=self._rp_name,
            user_id=user_id.encode(),  # the random `sub`: no personal data in the user handle
            user_name=user_name,
            exclude_credentials=existing,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
        )
        handle = self._store(REGISTER, user_id, options.challenge)
        return handle, json.loads(options_to_json(options))

    def register(self, user_id: str, handle: str, credential: Any, name: str) -> Passkey:
        name = _clean_name(name)
        challenge = self._take(handle, REGISTER, user_id)
        try:
            verified = verify_registration_response(
                credential=_bounded(credential),
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                require_user_verification=True,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            self._fail("mfa.passkey.register", user_id, exc)
        transports = _transports(credential)
        row = WebAuthnCredential(
            id=str(uuid.uuid4()),
            credential_id=bytes_to_base64url(verified.credential_id),
            user_id=user_id,
            name=name,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            multi_device=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
            transports=transports,
            created_at=self._clock(),
        )
        with self._db.begin() as s:
            taken = s.scalar(
                select(WebAuthnCredential.id).where(
                    WebAuthnCredential.credential_id == row.credential_id
                )
            )
            if taken is not None:
                raise PasskeyRejected("this passkey is already registered")
            s.add(row)
            self._audit.record(
                AuditEvent(
                    "mfa.passkey.register", actor=user_id, subject=user_id, detail={"id": row.id}
                ),
                work=UnitOfWork.of(s),
            )
        return _passkey(row)

    # -- authentication -----------------------------------------------------------------------
    def authentication_options(self, user_id: str | None) -> tuple[str, dict[str, Any]]:
        """`user_id` for a second factor after the password; None for passwordless, where the
        browser offers the discoverable passkeys it holds for this site."""
        allow: list[PublicKeyCredentialDescriptor] = []
        if user_id is not None:
            with self._db() as s:
                allow = [
                    PublicKeyCredentialDescriptor(
                        id=base64url_to_bytes(r.credential_id),
                        transports=[AuthenticatorTransport(t) for t in r.transports or []],
                    )
                    for r in self._rows(s, user_id)
                ]
        options = generate_authentication_options(
            rp_id=self.rp_id,
            allow_credentials=allow,
            user_verification=(
                UserVerificationRequirement.PREFERRED
                if user_id
                else UserVerificationRequirement.REQUIRED
            ),
        )
        purpose = SECOND_FACTOR if user_id else PASSWORDLESS
        handle = self._store(purpose, user_id, options.challenge)
        return handle, json.loads(options_to_json(options))

    def authenticate(self, handle: str, credential: Any, user_id: str | None) -> PasskeyLogin:
        purpose = SECOND_FACTOR if user_id else PASSWORDLESS
        challenge = self._take(handle, purpose, user_id)
        try:
            parsed = parse_assertion(_bounded(credential))
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            self._fail("mfa.passkey.verify", user_id, exc)
        cred_id = bytes_to_base64url(parsed.raw_id)
        with self._db() as s:
            row = s.scalar(
                select(WebAuthnCredential).where(WebAuthnCredential.credential_id == cred_id)
            )
        if row is None or (user_id is not None and row.user_id != user_id):
            self._fail("mfa.passkey.verify", user_id, PasskeyRejected("unknown passkey"))
        handle_bytes = parsed.response.user_handle
        if user_id is None and handle_bytes is not None and handle_bytes != row.user_id.encode():
            self._fail("mfa.passkey.verify", row.user_id, PasskeyRejected("user handle mismatch"))
        try:
            verified = verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=self.rp_id,
                expected_origin=self.origin,
                credential_public_key=row.public_key,
                credential_current_sign_count=row.sign_count,
                require_user_verification=user_id is None,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
            # A counter that did not move forward may mean a cloned authenticator.
            self._fail("mfa.passkey.verify", row.user_id, exc)
        with self._db.begin() as s:
            moved = s.execute(
                update(WebAuthnCredential)
                .where(
                    WebAuthnCredential.id == row.id,
                    WebAuthnCredential.sign_count == row.sign_count,
                )
                .values(sign_count=verified.new_sign_count, last_used_at=self._clock())
            )
            if getattr(moved, "rowcount", 0) != 1:
                raise PasskeyRejected("the passkey was used concurrently")
            self._audit.record(
                AuditEvent(
                    "mfa.passkey.verify",
                    actor=row.user_id,
                    subject=row.user_id,
                    detail={"id": row.id, "passwordless": user_id is None},
                ),
                work=UnitOfWork.of(s),
            )
        return PasskeyLogin(
            row.user_id, "swk" if row.multi_device else "hwk", verified.user_verified
        )

    def _fail(self, event: str, user_id: str | None, exc: Exception) -> NoReturn:
        self._audit.record(
            AuditEvent(
                event,
                Outcome.FAILURE,
                actor=user_id,
                subject=user_id,
                detail={"reason": type(exc).__name__},
            )
        )
        raise PasskeyRejected(str(exc)) from exc

    # -- management ---------------------------------------------------------------------------
    def list(self, user_id: str) -> list[Passkey]:
        with self._db() as s:
            return [_passkey(r) for r in self._rows(s, user_id)]

    @staticmethod
    def registered(user_id: str | BindParameter[str]) -> Select[str]:
        """The user's passkeys, as a query (SecondFactors asks it with others)."""
        return select(WebAuthnCredential.id).where(WebAuthnCredential.user_id == user_id)

    def enrolled(self, user_id: str) -> bool:
        with self._db() as s:
            return bool(s.scalar(select(exists(self.registered(user_id)))))

    def rename(self, user_id: str, passkey_id: str, name: str) -> None:
        name = _clean_name(name)
        with self._db.begin() as s:
            row = s.get(WebAuthnCredential, passkey_id)
            if row is None or row.user_id != user_id:
                raise NotFound("no such passkey")
            row.name = name
            self._audit.record(
                AuditEvent(
                    "mfa.passkey.rename", actor=user_id, subject=user_id, detail={"id": row.id}
                ),
                work=UnitOfWork.of(s),
            )

    def remove(self, user_id: str, passkey_id: str, *, actor: str) -> None:
        with self._db.begin() as s:
            row = s.get(WebAuthnCredential, passkey_id)
            if row is None or row.user_id != user_id:
                raise NotFound("no such passkey")
            s.delete(row)
            self._audit.record(
                AuditEvent(
                    "mfa.passkey.remove", actor=actor, subject=user_id, detail={"id": passkey_id}
                ),
                work=UnitOfWork.of(s),
            )


def _bounded(credential: Any) -> Any:
    """Accept the browser's JSON (a string or a decoded object) within a sane size."""
    text = credential if isinstance(credential, str) else json.dumps(credential)
    if len(text) > MAX_CREDENTIAL_JSON:
        raise ValueError("credential too large")
    return text


def _transports(credential: Any) -> list[str]:
    try:
        data = json.loads(credential) if isinstance(credential, str) else credential
        found = data.get("response", {}).get("transports") or []
        known = {t.value for t in AuthenticatorTransport}
        return [t for t in found if t in known][:8]
    except (ValueError, AttributeError):
        return []
