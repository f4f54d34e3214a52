"""One error model for idp: every error it raises derives from IdpError, with a stable code of
its own, or is an Authlib OAuth2Error named as its RFC names it."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from authlib.oauth2.rfc6749 import OAuth2Error

import idp
from idp.errors import IdpError

# The codes clients and operators may script against: a change here is a change of interface.
CODES = {
    "IdpError": "idp_error",
    "NotFound": "not_found",
    "Conflict": "conflict",
    "InvalidInput": "invalid_input",
    "InvalidMetadata": "invalid_client_metadata",
    "Forbidden": "forbidden",
    "WrongPassword": "wrong_password",
    "TooManyAttempts": "too_many_attempts",
    "WeakPassword": "weak_password",
    "InvalidNik": "invalid_nik",
    "InvalidToken": "invalid_token",
    "InvalidSignature": "invalid_signature",
    "PasskeyRejected": "passkey_rejected",
    "OutboundRefused": "outbound_refused",
    "Unresolved": "outbound_unresolved",
    "AddressRefused": "outbound_address_refused",
    "MailError": "mail_undelivered",
}


def errors_defined_in_idp() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for info in pkgutil.walk_packages(idp.__path__, "idp."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module.__name__
            ):
                found[name] = value
    return found


def test_every_idp_error_is_an_idp_error_or_a_protocol_error() -> None:
    stray = [
        f"{cls.__module__}.{name}"
        for name, cls in errors_defined_in_idp().items()
        if not issubclass(cls, (IdpError, OAuth2Error))
    ]
    assert stray == []


def test_every_idp_error_has_its_own_stable_code() -> None:
    codes = {
        name: cls.__dict__.get("code")
        for name, cls in errors_defined_in_idp().items()
        if issubclass(cls, IdpError)
    }
    assert codes == CODES
    assert len(set(codes.values())) == len(codes), "two errors share a code"
