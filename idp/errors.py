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
