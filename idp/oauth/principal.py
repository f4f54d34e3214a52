"""What Authlib calls the "user": the authenticated person plus how and when they logged in."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    user_id: str
    auth_time: int
    acr: str | None = None
    amr: list[str] = field(default_factory=list)
    sid: str | None = None
    grant_id: str | None = None
    claims_locales: str | None = None

    def get_user_id(self) -> str:  # Authlib's user protocol
        return self.user_id
