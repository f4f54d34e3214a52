"""The user's second factors as one thing: is anything enrolled, check the `otp` field (a TOTP
code or a recovery code), and the RFC 8176 `amr` each way of signing in earns.

amr per flow (RFC 8176 §2):
  password + TOTP           -> ["pwd", "otp", "mfa"]
  password + recovery code  -> ["pwd", "lookup", "mfa"]   (see RECOVERY_AMR)
  password + passkey        -> ["pwd", "hwk" | "swk", "mfa"]
  passkey alone, with UV    -> ["hwk" | "swk", "user", "mfa"]
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, sessionmaker

from idp.signin.mfa.recovery import RecoveryCodes
from idp.signin.mfa.totp import TotpFactors, looks_like_totp
from idp.signin.mfa.webauthn import WebAuthnFactors
from storage import DriverStatements, UnitOfWork

# Built once: constructing the expression cost more than running it.
_ENROLLED = select(
    exists(TotpFactors.confirmed(bindparam("uid")))
    | exists(WebAuthnFactors.registered(bindparam("uid")))
)

# RFC 8176 registers no value for recovery codes, and "otp" would tell the RP a device
# generated the code. A recovery code is what NIST SP 800-63B calls a look-up secret, so we
# send the non-registered value "lookup" (RFC 8176 §1 lets parties agree on further values);
# "mfa" is still right: a look-up secret is an AAL2 "something you have".
RECOVERY_AMR = "lookup"


def merge_amr(*parts: Iterable[str]) -> list[str]:
    """Order-preserving union: ["pwd"] + ["otp", "mfa"] -> ["pwd", "otp", "mfa"]."""
    out: list[str] = []
    for part in parts:
        for value in part:
            if value not in out:
                out.append(value)
    return out


class SecondFactors:
    def __init__(
        self,
        totp: TotpFactors,
        recovery: RecoveryCodes,
        passkeys: WebAuthnFactors,
        db: sessionmaker[Session],
    ) -> None:
        self.totp, self.recovery, self.passkeys = totp, recovery, passkeys
        self._db = db
        self._enrolled = DriverStatements(_ENROLLED)

    def enrolled(self, user_id: str, *, work: UnitOfWork | None = None) -> bool:
        """Any confirmed TOTP or passkey, asked in one read (this runs on every password login,
        inside the unit of work that opens the session when the caller passes it)."""
        if work is None:
            with self._db() as s:
                return self.enrolled(user_id, work=UnitOfWork.of(s))
        # On the driver in a unit of work with no ORM session (the sign-in's path).
        return bool(self._enrolled.rows(work, {"uid": user_id})[0][0])

    def verify_code(self, user_id: str, value: str) -> list[str] | None:
        """The amr this code earns, or None when it is wrong, used before, or too long."""
        value = value.strip()
        if not value or len(value) > 64:
            return None
        compact = value.replace(" ", "")
        if looks_like_totp(compact):
            return ["otp", "mfa"] if self.totp.verify(user_id, compact) else None
        if self.recovery.use(user_id, value):
            return [RECOVERY_AMR, "mfa"]
        return None
