"""Who may administer what: the roles an operator grants to clients of the admin API.

A `national` administrator acts on every organisation and on resources of none (citizens,
national apps). An `organisation` administrator acts only inside its own organisation: what
belongs elsewhere is answered as if it did not exist (NotFound), so it cannot even learn which
ids are in use; what it creates lands in its organisation. Only a national administrator
creates organisations, grants administrator roles and reads the signing keys.

The role is read from the client record at each call (cached for seconds, like every client
lookup), never from the token, so taking a role away ends the access of tokens already issued.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from idp.errors import IdpError, NotFound

AdminRole = Literal["national", "organisation"]
ADMIN_ROLES: tuple[AdminRole, ...] = ("national", "organisation")


class Forbidden(IdpError):
    code = "forbidden"


@dataclass(frozen=True)
class AdminCaller:
    client_id: str
    role: AdminRole
    org_id: str | None

    @property
    def actor(self) -> str:
        return f"client:{self.client_id}"

    @property
    def national(self) -> bool:
        return self.role == "national"

    def reaches(self, org_id: str | None) -> bool:
        return self.national or (org_id is not None and org_id == self.org_id)

    def require_national(self, what: str) -> None:
        if not self.national:
            raise Forbidden(f"only a national administrator may {what}")

    def require_reach(self, org_id: str | None, what: str) -> None:
        """A resource of `org_id`: NotFound for one outside the caller's organisation."""
        if not self.reaches(org_id):
            raise NotFound(f"no {what} with that id")

    def creating_in(self, org_id: str | None) -> str | None:
        """The organisation a new resource goes to: the one named, or the caller's own."""
        if self.national:
            return org_id
        if org_id is not None and org_id != self.org_id:
            raise Forbidden("an organisation's administrator creates only in its organisation")
        return self.org_id
