"""A client that registered the admin scope before it stopped being registrable loses it on
upgrade, and gets nothing from asking for it."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import create_engine, text

from api.migrate import alembic_config


def test_upgrade_strips_a_registered_admin_scope(settings):
    cfg = alembic_config(settings.db_url)
    command.downgrade(cfg, "0003_mfa")
    engine = create_engine(settings.db_url)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO idp_clients (client_id, name, client_metadata, created_at) "
                "VALUES ('old', 'Old', :meta, CURRENT_TIMESTAMP)"
            ),
            {"meta": '{"scope": "openid satupintu:admin", "grant_types": ["client_credentials"]}'},
        )
    command.upgrade(cfg, "head")
    with engine.connect() as c:
        meta = c.execute(text("SELECT client_metadata FROM idp_clients")).scalar_one()
    engine.dispose()
    meta = meta if isinstance(meta, dict) else json.loads(meta)
    assert meta["scope"] == "openid" and "admin_role" not in meta
