"""Vault tests run on both key providers: the local keyring and a real OpenBao Transit."""

from __future__ import annotations

import pytest

from api.settings import Settings
from tests.openbao import Bao, openbao, persistent_bao

__all__ = ["openbao", "persistent_bao"]


@pytest.fixture(params=["local", "transit"])
def keys(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def vsettings(settings: Settings, keys: str, request: pytest.FixtureRequest) -> Settings:
    if keys == "local":
        return settings
    bao: Bao = request.getfixturevalue("openbao")
    # A transit key of this test's own: rotations elsewhere must not leak in.
    return settings.model_copy(
        update={"vault_addr": bao.addr, "vault_token": bao.token, "vault_key": bao.fresh_key()}
    )


@pytest.fixture
def vsvc(vsettings: Settings, clock):
    from api.services import build_services

    svc = build_services(vsettings, clock=clock)
    svc.keys.ensure()
    yield svc
    svc.close()
