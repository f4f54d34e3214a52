"""The server's log, as `satupintu serve` sets it up: uvicorn's logging configuration with one
filter, `Redaction`, on every handler, so that every line the server writes goes through it,
in every process (uvicorn's workers configure logging from the same dictionary).

Query strings carry secrets and personal data: emailed password-reset and verification
tokens, `login_hint` (a NIK, an email), `id_token_hint`, `state`, `nonce`, interaction ids.
The filter keeps the path and the names of the parameters SatuPintu knows, and replaces every
value with `***`:

    "GET /authorize?response_type=***&client_id=***&login_hint=***&state=*** HTTP/1.1" 303

A name SatuPintu does not know is shown as `***` too: a client chooses what it sends, and in
`?eyJhbGciOi...` (no `=`) the "name" is the value. An empty value stays empty (`prompt=`).
In every other line (the app's own, uvicorn's errors and their tracebacks, libraries'
warnings) the query and fragment of every URL or path are redacted the same way.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

REDACTED = "***"

# Parameter names shown as they are: OAuth 2.0 / OpenID Connect requests and responses
# (RFC 6749, 7636, 8707, 9207; OIDC Core, RP-Initiated Logout) and SatuPintu's own pages.
KNOWN_PARAMETERS = frozenset(
    {
        # authorization request
        "response_type",
        "response_mode",
        "client_id",
        "redirect_uri",
        "scope",
        "state",
        "nonce",
        "prompt",
        "max_age",
        "display",
        "ui_locales",
        "claims_locales",
        "id_token_hint",
        "login_hint",
        "acr_values",
        "claims",
        "request",
        "request_uri",
        "registration",
        "code_challenge",
        "code_challenge_method",
        "resource",
        # logout
        "post_logout_redirect_uri",
        "logout_hint",
        "confirm",
        # responses and tokens
        "code",
        "iss",
        "error",
        "error_description",
        "error_uri",
        "session_state",
        "access_token",
        "token_type",
        "expires_in",
        "id_token",
        # SatuPintu's pages
        "interaction",
        "next",
        "token",
        "set",
        "done",
        "csrf_token",
    }
)

# A word of free text, between spaces, quotes and angle brackets: one with a `/` and a `?` or
# `#` in it is taken for a URL or path (one pass over the text, whatever it holds).
_WORD = re.compile(r"[^\s\"'<>]+")


def _parameter(pair: str) -> str:
    if not pair:
        return ""
    name, eq, value = pair.partition("=")
    decoded = unquote_plus(name)
    shown = decoded if decoded in KNOWN_PARAMETERS else REDACTED
    return shown + eq + (REDACTED if value else "")


def redact_query(query: str) -> str:
    """`a=1&b=2` with every value, and every name SatuPintu does not know, as `***`."""
    return "&".join(_parameter(pair) for pair in query.split("&"))


def redact_url(url: str) -> str:
    """The URL (or path) with its query and fragment redacted; the rest as it was."""
    before, hash_, fragment = url.partition("#")
    path, mark, query = before.partition("?")
    out = path + mark + redact_query(query) if mark else path
    return out + hash_ + redact_query(fragment) if hash_ else out


def _redact_word(match: re.Match[str]) -> str:
    word = match.group(0)
    return redact_url(word) if "/" in word and ("?" in word or "#" in word) else word


def redact_text(text: str) -> str:
    """Free text with the query and fragment of every URL or path in it redacted."""
    return _WORD.sub(_redact_word, text) if ("?" in text or "#" in text) else text


_TRACEBACKS = logging.Formatter()


class Redaction(logging.Filter):
    """On a handler: rewrites each record it is given before it is formatted (and passes all).

    uvicorn's access record (client, method, path with query, HTTP version, status) keeps
    its shape, with the path redacted, for uvicorn's AccessFormatter; any other record has
    its message, traceback and stack redacted as text."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            record.args = (*args[:2], redact_url(str(args[2])), *args[3:])
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed call: the formatter reports it as logging does
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
            record.__dict__.pop("color_message", None)  # uvicorn's coloured copy of msg
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with `Redaction` on every handler; the app's own
    loggers (`satupintu.*`) at INFO, and every other library's warnings, through the same
    handlers. httpx stays at WARNING: its INFO line is each outbound request's full URL
    (back-channel logout URIs, jwks_uri), which an app may have registered with a key in it."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redaction": {"()": f"{__name__}.Redaction"}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redaction"]
    config["loggers"].update(
        {
            "satupintu": {"handlers": ["default"], "level": "INFO", "propagate": False},
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
        }
    )
    config["root"] = {"handlers": ["default"], "level": "WARNING"}
    return config
