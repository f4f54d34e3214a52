"""Errors raised by the vault package; the API maps them to 503 / integrity problems."""

from __future__ import annotations


class VaultError(Exception):
    """Base class for every vault failure."""


class KeyUnavailable(VaultError):
    """The key provider cannot be reached, is sealed, or refused our credentials."""


class IntegrityFailure(VaultError):
    """A ciphertext failed authentication: tampered, moved, or wrapped under an unknown key."""


class SubjectErased(VaultError):
    """The subject's data key was destroyed (crypto-shredding); its fields are unrecoverable."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"the personal data of subject {subject} was erased")
        self.subject = subject
