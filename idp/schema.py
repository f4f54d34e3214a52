"""Every table the idp package owns: importing this registers each wing's models on one metadata."""

from __future__ import annotations

import idp.accounts.models
import idp.oauth.models
import idp.oidc.models
import idp.selfservice.models
import idp.signin.mfa.models
import idp.signin.models
from idp.tables import Base

WINGS = (
    idp.accounts.models,
    idp.oauth.models,
    idp.signin.models,
    idp.signin.mfa.models,
    idp.oidc.models,
    idp.selfservice.models,
)
METADATA = Base.metadata
