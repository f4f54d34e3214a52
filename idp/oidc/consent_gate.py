"""What the login flow needs from the consent registry, declared here so idp never imports
`consent`; the composition root wires the registry in."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class ConsentGate(Protocol):
    def missing(self, user_id: str, client_id: str, scopes: list[str]) -> list[str]:
        """The requested scopes the user has not (or no longer) consented to for this client."""
        ...

    def grant(self, user_id: str, client_id: str, scopes: list[str], *, evidence: dict) -> None:
        """Record the user's explicit consent to these scopes for this client."""
        ...

    def withdraw(self, user_id: str, client_id: str, scopes: list[str] | None = None) -> int:
        """Withdraw the user's consents to this client (all of them without `scopes`)."""
        ...

    def consented_clients(self, user_id: str) -> dict[str, tuple[list[str], datetime]]:
        """Each client the user has live consents for: the scopes, and since when."""
        ...
