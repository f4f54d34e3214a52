"""Encrypted attributes for SQLAlchemy models: domain code reads and writes plaintext, the
database only ever sees ciphertext.

A column type (TypeDecorator) cannot do this: it sees one value, not the row it belongs to,
and the AEAD associated data must name the table, column, row and subject. So a `SealedField`
is a descriptor over a `<name>_ct` LargeBinary column:

    class User(Base):
        id: Mapped[str] = mapped_column(String(36), primary_key=True)
        email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
        email = SealedField("idp_users")

The cipher is not a global: it travels in `Session.info["vault_cipher"]` (set once on the
sessionmaker) and is attached to every instance the session loads; new instances get it with
`bind(obj, cipher)`. Values are sealed on assignment and opened on every read (the DEK cache
keeps that to one AES-GCM operation), so a value copied into another row or column fails with
IntegrityFailure instead of reading back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, object_session

from vault.envelope import EnvelopeCipher, FieldContext

INFO_KEY = "vault_cipher"
_ATTR = "_vault_cipher"


def bind(obj: object, cipher: EnvelopeCipher) -> None:
    """Attach the cipher to an instance that no session has loaded (a new row)."""
    vars(obj)[_ATTR] = cipher


def cipher_of(obj: object) -> EnvelopeCipher:
    cipher = vars(obj).get(_ATTR)
    if cipher is None:
        session = object_session(obj)
        cipher = session.info.get(INFO_KEY) if session is not None else None
        if cipher is None:
            raise RuntimeError(f"{type(obj).__name__} has no cipher bound (see vault.fields)")
        bind(obj, cipher)
    return cipher


@event.listens_for(Session, "loaded_as_persistent")
def _bind_on_load(session: Session, instance: object) -> None:
    cipher = session.info.get(INFO_KEY)
    if cipher is not None and getattr(type(instance), "__sealed_fields__", None):
        bind(instance, cipher)


class SealedField:
    """A plaintext `str | None` attribute stored sealed in the `<name>_ct` column."""

    def __init__(
        self, table: str, *, subject_attr: str = "id", row_attr: str = "id", column: str = ""
    ) -> None:
        self.table, self.subject_attr, self.row_attr = table, subject_attr, row_attr
        self.column = column
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.column = self.column or name
        self.ct_attr = f"{name}_ct"
        owner.__sealed_fields__ = (*getattr(owner, "__sealed_fields__", ()), name)  # type: ignore[attr-defined]

    def context(self, obj: object) -> FieldContext:
        return FieldContext(
            subject=str(getattr(obj, self.subject_attr)),
            table=self.table,
            column=self.column,
            row=str(getattr(obj, self.row_attr)),
        )

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        sealed = getattr(obj, self.ct_attr)
        if sealed is None:
            return None
        return cipher_of(obj).open(sealed, self.context(obj))

    def __set__(self, obj: object, value: str | None) -> None:
        sealed = None if value is None else cipher_of(obj).seal(value, self.context(obj))
        setattr(obj, self.ct_attr, sealed)
