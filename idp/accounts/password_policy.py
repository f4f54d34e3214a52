"""Password rules after NIST SP 800-63B §5.1.1.2: length 8-256, no composition rules, and no
password found in a list of common and breached passwords or built from the account's own
username, email or NIK.

The list ships with the project (idp/accounts/data/, see its README): about 20,000 passwords
from public breach corpora plus common Indonesian choices. It is read lazily, once, into a set.
"""

from __future__ import annotations

import gzip
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from idp.errors import InvalidInput

_DATA = Path(__file__).parent / "data"
_LISTS = ("common-passwords.txt.gz", "common-passwords-id.txt")


class WeakPassword(InvalidInput):
    """The password breaks the policy; `reason` is one of too_short, too_long, common,
    contains_identity."""

    code = "weak_password"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


MESSAGES = {
    "too_short": "The password must be at least {min} characters long.",
    "too_long": "The password must be at most {max} characters long.",
    "common": "This password is too common or has appeared in a data breach. Choose another.",
    "contains_identity": "The password must not contain your username, email or NIK.",
}


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


@dataclass
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 256

    def __post_init__(self) -> None:
        self._blocklist: frozenset[str] | None = None
        self._lock = threading.Lock()

    def blocklist(self) -> frozenset[str]:
        if self._blocklist is None:
            with self._lock:
                if self._blocklist is None:
                    self._blocklist = frozenset(_load())
        return self._blocklist

    def problem(self, password: str, *, identity: tuple[str | None, ...] = ()) -> str | None:
        """The first rule `password` breaks, or None."""
        if len(password) < self.min_length:
            return "too_short"
        if len(password) > self.max_length:
            return "too_long"
        folded = _fold(password)
        if folded in self.blocklist() or folded.strip() in self.blocklist():
            return "common"
        for value in identity:
            for part in _identity_parts(value):
                if part in folded:
                    return "contains_identity"
        return None

    def check(self, password: str, *, identity: tuple[str | None, ...] = ()) -> None:
        """Raises WeakPassword when `password` breaks a rule."""
        reason = self.problem(password, identity=identity)
        if reason is not None:
            message = MESSAGES[reason].format(min=self.min_length, max=self.max_length)
            raise WeakPassword(reason, message)


def _identity_parts(value: str | None) -> list[str]:
    """Username, email local part, NIK: the parts long enough to matter (>= 5 characters, so
    a short name like "andi" does not forbid every password with "sandi" in it)."""
    if not value:
        return []
    folded = _fold(value.strip())
    parts = [folded.split("@", 1)[0]] if "@" in folded else [folded]
    return [p for p in parts if len(p) >= 5]


def _load() -> set[str]:
    words: set[str] = set()
    for name in _LISTS:
        path = _DATA / name
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line and not line.startswith("#"):
                    words.add(_fold(line))
    return words
