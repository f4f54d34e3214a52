"""The user directory: citizens and staff accounts, with every identifier sealed through vault.

Only ciphertext and keyed blind indexes reach the database; lookups by username, email or NIK
go through the blind index and are confirmed by decrypting the candidate rows.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from audit import AuditEvent, AuditSink, Outcome
from idp.accounts.models import User
from idp.accounts.password_policy import PasswordPolicy
from idp.accounts.passwords import PasswordHasher
from idp.clock import Clock
from idp.errors import Conflict, InvalidInput, NotFound
from storage import UnitOfWork
from storage.statements import DriverStatements
from vault import BlindIndex, EnvelopeCipher, SubjectErased, fields
from vault.blind_index import normalise
from vault.fields import SealedField

_USERS = cast(Table, User.__table__)
# Built once per login kind (constructing the expression cost more than running it): what
# signing in needs, and the sealed value that confirms the truncated blind index.
_BY_INDEX: dict[str, Select[Any]] = {
    kind: select(
        _USERS.c.id,
        _USERS.c.password_hash,
        _USERS.c.disabled,
        _USERS.c.pending_verification,
        _USERS.c[f"{kind}_ct"],
    ).where(_USERS.c[f"{kind}_bidx"] == bindparam("bidx"))
    for kind in ("nik", "email", "username")
}

TABLE = "idp_users"
_USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
_NIK = re.compile(r"^\d{16}$")
_PHONE = re.compile(r"^\+?\d{8,15}$")
SEALED = ("username", "email", "nik", "phone", "name")


@dataclass(frozen=True)
class Credentials:
    """What signing in needs of an account: read with one plain query on every login."""

    id: str
    password_hash: str | None
    disabled: bool
    pending_verification: bool


@dataclass(frozen=True)
class UserProfile:
    sub: str
    username: str
    email: str | None
    email_verified: bool
    name: str | None
    nik: str | None
    phone: str | None
    org_id: str | None
    disabled: bool
    pending_verification: bool
    created_at: datetime
    updated_at: datetime


def _plausible(login: str) -> bool:
    """Worth a lookup: not empty, and no longer than any NIK, email or username can be."""
    return 0 < len(login) <= 320


def login_kind(login: str) -> str:
    login = login.strip()
    if _NIK.match(login):
        return "nik"
    if "@" in login:
        return "email"
    return "username"


@dataclass(frozen=True)
class _UserId:
    """What a sealed field's context reads from a user row: its id."""

    id: str


class UserDirectory:
    def __init__(
        self,
        engine: Engine,
        db: sessionmaker[Session],
        cipher: EnvelopeCipher,
        index: BlindIndex,
        hasher: PasswordHasher,
        audit: AuditSink,
        clock: Clock,
        policy: PasswordPolicy | None = None,
    ) -> None:
        self._db, self._cipher, self._index = db, cipher, index
        self._hasher, self._audit, self._clock = hasher, audit, clock
        self._engine = engine  # for the driver's reads (credentials)
        self._by_index = {kind: DriverStatements(stmt) for kind, stmt in _BY_INDEX.items()}
        self.policy = policy or PasswordPolicy()

    # -- sealing ------------------------------------------------------------------------------
    def _open(self, user: User, column: str) -> str | None:
        fields.bind(user, self._cipher)  # rows from elsewhere (e.g. a detached copy)
        value: str | None = getattr(user, column)
        return value

    def profile(self, user: User) -> UserProfile:
        opened = {c: self._open(user, c) for c in SEALED}
        return UserProfile(
            sub=user.id,
            username=opened["username"] or "",
            email=opened["email"],
            email_verified=user.email_verified,
            name=opened["name"],
            nik=opened["nik"],
            phone=opened["phone"],
            org_id=user.org_id,
            disabled=user.disabled,
            pending_verification=user.pending_verification,
            created_at=user.created_at,
            updated_at=user.updated_at,
        )

    # -- commands -----------------------------------------------------------------------------
    def create(
        self,
        *,
        username: str,
        password: str | None,
        email: str | None = None,
        name: str | None = None,
        nik: str | None = None,
        phone: str | None = None,
        org_id: str | None = None,
        email_verified: bool = False,
        pending_verification: bool = False,
        actor: str = "operator",
    ) -> UserProfile:
        _validate(username, password, email, nik, phone, name)
        if email_verified and not email:
            raise InvalidInput("email_verified needs an email")
        if password is not None:
            self.policy.check(password, identity=(username, email, nik))
        uid = str(uuid.uuid4())
        now = self._clock()
        bidx = self._index.compute
        user = User(
            id=uid,
            username_bidx=bidx("username", username),
            email_bidx=bidx("email", email) if email else None,
            email_verified=email_verified,
            nik_bidx=bidx("nik", nik) if nik else None,
            phone_bidx=bidx("phone", phone) if phone else None,
            password_hash=self._hasher.hash(password) if password else None,
            org_id=org_id,
            pending_verification=pending_verification,
            created_at=now,
            updated_at=now,
        )
        fields.bind(user, self._cipher)
        user.username = username.strip()
        user.email = email.strip() if email else None
        user.nik = normalise("nik", nik) if nik else None
        user.phone = phone.strip() if phone else None
        user.name = name.strip() if name else None
        with self._db.begin() as s:
            for kind, value in (("email", email), ("nik", nik)):
                if value and self._find(s, kind, value) is not None:
                    raise Conflict(f"a user with this {kind} exists")
            s.add(user)
            try:
                s.flush()
            except IntegrityError as exc:
                raise Conflict("a user with this username exists") from exc
            self._audit.record(
                AuditEvent("user.create", actor=actor, subject=uid), work=UnitOfWork.of(s)
            )
            if email_verified:  # whoever created the account vouches for the address
                self._audit.record(
                    AuditEvent("user.verify_email", actor=actor, subject=uid), work=UnitOfWork.of(s)
                )
        return self.profile(user)

    def _match(self, s: Session, kind: str, login: str) -> Credentials | None:
        rows = s.execute(_BY_INDEX[kind], {"bidx": self._index.compute(kind, login)})
        return self._confirm(kind, login, rows)

    def _confirm(self, kind: str, login: str, rows: Iterable[Sequence[Any]]) -> Credentials | None:
        """The account among `rows` (id, hash, disabled, pending, sealed login) whose login
        really is `login`: the index is truncated, so each is confirmed against the decrypted
        value."""
        wanted = normalise(kind, login)
        field: SealedField = vars(User)[kind]
        for uid, password_hash, disabled, pending, sealed in rows:
            try:
                # A user's fields are sealed to the user's id (subject and row alike).
                context = field.context(_UserId(uid))
                value = None if sealed is None else self._cipher.open(sealed, context)
            except SubjectErased:
                continue
            if value is not None and normalise(kind, value) == wanted:
                return Credentials(uid, password_hash, bool(disabled), bool(pending))
        return None

    def _find(self, s: Session, kind: str, login: str) -> User | None:
        found = self._match(s, kind, login)
        return None if found is None else s.get(User, found.id)

    def credentials(self, login: str) -> Credentials | None:
        """The account `login` (NIK, email or username) names, read on the driver: this runs
        before every password check, and a Session, even a Core execution, cost more than the
        query (storage.statements)."""
        login = login.strip()
        if not _plausible(login):
            return None
        kind = login_kind(login)
        bidx = self._index.compute(kind, login)
        return self._confirm(kind, login, self._by_index[kind].read(self._engine, {"bidx": bidx}))

    def find_by_login(self, login: str) -> User | None:
        login = login.strip()
        if not _plausible(login):
            return None
        with self._db() as s:
            return self._find(s, login_kind(login), login)

    def authenticate(self, login: str, password: str) -> User | None:
        """The user when the password matches; None otherwise, in equal time either way."""
        user = self.find_by_login(login)
        return user if self.verify_password(user, password) else None

    def verify_password(self, user: User | Credentials | None, password: str) -> bool:
        """Whether `password` is `user`'s (equal work when `user` is None or disabled). A failure
        is audited; a success upgrades the stored hash when the argon2 parameters changed."""
        stored = user.password_hash if user is not None and not user.disabled else None
        ok = self._hasher.verify(stored, password)
        if not ok or user is None:
            self._audit.record(
                AuditEvent(
                    "login.password",
                    Outcome.FAILURE,
                    subject=user.id if user else None,
                    detail={"reason": "bad_credentials"},
                )
            )
            return False
        if stored and self._hasher.needs_rehash(stored):
            with self._db.begin() as s:
                row = s.get(User, user.id)
                if row is not None:
                    row.password_hash = self._hasher.hash(password)
        return True

    def hash_password(self, password: str) -> str:
        return self._hasher.hash(password)

    def set_password(self, s: Session, user_id: str, password: str, *, actor: str) -> None:
        """Inside `s`: a new password (the caller has applied the policy)."""
        row = s.get(User, user_id)
        if row is None:
            raise NotFound("no such user")
        row.password_hash = self._hasher.hash(password)
        row.updated_at = self._clock()
        self._audit.record(
            AuditEvent("user.password_change", actor=actor, subject=user_id), work=UnitOfWork.of(s)
        )

    def check_policy(self, password: str, user: User | None = None) -> None:
        """WeakPassword when `password` breaks the policy (also against `user`'s identifiers)."""
        identity: tuple[str | None, ...] = ()
        if user is not None:
            p = self.profile(user)
            identity = (p.username, p.email, p.nik)
        self.policy.check(password, identity=identity)

    def get(self, sub: str) -> User:
        with self._db() as s:
            user = s.get(User, sub)
            if user is None:
                raise NotFound("no such user")
            return user

    def list(self, limit: int = 100, offset: int = 0) -> list[User]:
        with self._db() as s:
            stmt = select(User).order_by(User.created_at).limit(limit).offset(offset)
            return list(s.scalars(stmt))

    def erase(self, sub: str, *, actor: str = "operator") -> bool:
        """Crypto-shred a user: destroy their data key, drop their blind indexes, disable them.

        Every sealed field of the user then raises SubjectErased; see docs/encryption.md for
        what an older backup still holds and the procedure that makes it useless.
        """
        with self._db.begin() as s:
            user = s.get(User, sub)
            if user is None:
                raise NotFound("no such user")
            user.username_bidx = f"erased:{sub}"
            user.email_bidx = user.nik_bidx = user.phone_bidx = None
            user.password_hash = None
            user.disabled = True
            user.updated_at = self._clock()
            self._audit.record(
                AuditEvent("user.erase", actor=actor, subject=sub), work=UnitOfWork.of(s)
            )
        # After the commit: an erased DEK with live indexes would be worse than the reverse.
        return self._cipher.shred(sub)

    def reindex(self, index: BlindIndex, *, after: str = "", limit: int = 500) -> tuple[str, ...]:
        """Recompute the blind indexes of one page of users (id order) under `index`.

        Used when the MAC key changes (migration to Transit); idempotent, so it resumes.
        Returns the ids handled; erased users keep their cleared indexes.
        """
        with self._db.begin() as s:
            stmt = select(User).where(User.id > after).order_by(User.id).limit(limit)
            users = list(s.scalars(stmt))
            for user in users:
                if user.username_bidx.startswith("erased:"):
                    continue
                for kind in ("username", "email", "nik", "phone"):
                    value = self._open(user, kind)
                    if value is not None:
                        setattr(user, f"{kind}_bidx", index.compute(kind, value))
            return tuple(u.id for u in users)

    def resolve(self, ref: str) -> User:
        """A user by `sub` or by login (username, email, NIK)."""
        with self._db() as s:
            user = s.get(User, ref)
        if user is None:
            user = self.find_by_login(ref)
        if user is None:
            raise NotFound("no such user")
        return user


def _validate(
    username: str,
    password: str | None,
    email: str | None,
    nik: str | None,
    phone: str | None,
    name: str | None,
) -> None:
    if not _USERNAME.match(username.strip()) or _NIK.match(username.strip()):
        raise InvalidInput("username: 3-64 letters, digits, '.', '_' or '-' (not a NIK)")
    if password is not None and not 8 <= len(password) <= 256:
        raise InvalidInput("password must be 8-256 characters")
    if email is not None and not _EMAIL.match(email.strip()):
        raise InvalidInput("email is not a valid address")
    if nik is not None and not _NIK.match(normalise("nik", nik)):
        raise InvalidInput("NIK must be 16 digits")
    if phone is not None and not _PHONE.match(phone.strip().replace(" ", "")):
        raise InvalidInput("phone must be 8-15 digits, optionally with a leading +")
    if name is not None and not 1 <= len(name.strip()) <= 200:
        raise InvalidInput("name must be 1-200 characters")
