"""brute-force counters: the time before which no attempt is admitted, set as it is counted

Attempts are now counted before their secret is checked (reserve, then check), so the delay is
stored with the counter rather than worked out from it after the fact.

Revision ID: 0007_rate_counter_not_before
Revises: 0006_pending_signins
Create Date: 2026-12-07 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_rate_counter_not_before'
down_revision = '0006_pending_signins'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idp_rate_counters', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('not_before', sa.Float(), nullable=False, server_default='0')
        )


def downgrade() -> None:
    with op.batch_alter_table('idp_rate_counters', schema=None) as batch_op:
        batch_op.drop_column('not_before')
