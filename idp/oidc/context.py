"""The OAuth wing's context plus what OpenID Connect adds: the claims of ID tokens and userinfo."""

from __future__ import annotations

from dataclasses import dataclass

from idp.oauth.context import ServerContext
from idp.oidc.claims import ClaimsSource


@dataclass(kw_only=True)
class ProviderContext(ServerContext):
    """Everything the OpenID provider's grants, extensions and endpoints need."""

    claims: ClaimsSource
    id_token_ttl: int = 3600
