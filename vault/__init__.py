"""Key providers, envelope encryption, encrypted fields and blind indexes.

Imports nothing from the rest of the project: every other package depends on it.
"""

from vault import fields
from vault.blind_index import BlindIndex
from vault.envelope import EnvelopeCipher, FieldContext
from vault.errors import IntegrityFailure, KeyUnavailable, SubjectErased
from vault.provider import KeyProvider

__all__ = [
    "BlindIndex",
    "EnvelopeCipher",
    "FieldContext",
    "IntegrityFailure",
    "KeyProvider",
    "KeyUnavailable",
    "SubjectErased",
    "fields",
]
