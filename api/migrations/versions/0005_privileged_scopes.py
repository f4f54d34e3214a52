"""privileged scopes are granted by an operator, never registered: strip them from stored scopes

Before this revision `satupintu:admin` could be registered (RFC 7591 or --scope) and was then
issued to anyone who asked. It now comes only with an operator-granted `admin_role`; a client
that held it through its registered scope keeps nothing until an operator grants the role
(`satupintu clients update CLIENT_ID --admin-role national|organisation`).

Revision ID: 0005_privileged_scopes
Revises: 0003_mfa
Create Date: 2026-12-07 16:00:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0005_privileged_scopes'
down_revision = '0003_mfa'
branch_labels = None
depends_on = None

PRIVILEGED = {"satupintu:admin"}


def upgrade() -> None:
    conn = op.get_bind()
    clients = sa.table(
        "idp_clients", sa.column("client_id", sa.String), sa.column("client_metadata", sa.JSON)
    )
    for client_id, meta in conn.execute(sa.select(clients.c.client_id, clients.c.client_metadata)):
        if isinstance(meta, str):
            meta = json.loads(meta)
        scopes = str((meta or {}).get("scope") or "").split()
        if not PRIVILEGED & set(scopes):
            continue
        meta["scope"] = " ".join(s for s in scopes if s not in PRIVILEGED)
        conn.execute(
            clients.update().where(clients.c.client_id == client_id).values(client_metadata=meta)
        )


def downgrade() -> None:
    pass  # nothing to restore: the scope was never the client's to hold
