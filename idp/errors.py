"""Domain errors of the idp package (the API maps them to problem JSON or OAuth errors)."""

from __future__ import annotations


class IdpError(Exception):
    """Base class; `code` is a stable machine-readable name."""

    code = "idp_error"


class NotFound(IdpError):
    code = "not_found"


class Conflict(IdpError):
    code = "conflict"


class InvalidInput(IdpError):
    code = "invalid_input"


class InvalidMetadata(InvalidInput):
    """Client metadata refused as a whole, not one redirect URI (RFC 7591 §3.2.2)."""

    code = "invalid_client_metadata"
