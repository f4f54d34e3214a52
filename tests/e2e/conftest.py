"""End-to-end fixtures live in their own modules; this file only makes them visible."""

from tests.e2e.mfa_live import mfa_browser, mfa_idp  # noqa: F401
