"""account protection: rate counters, emailed account tokens, pending self-registrations

Revision ID: 0004_account
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_account'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idp_rate_counters',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('first_at', sa.Float(), nullable=False),
    sa.Column('last_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('idp_rate_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_rate_counters_expires_at'), ['expires_at'], unique=False)

    op.create_table('idp_account_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('idp_account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_account_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('idp_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_verification', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('idp_users', schema=None) as batch_op:
        batch_op.drop_column('pending_verification')
    with op.batch_alter_table('idp_account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_account_tokens_user_id'))
    op.drop_table('idp_account_tokens')
    with op.batch_alter_table('idp_rate_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_rate_counters_expires_at'))
    op.drop_table('idp_rate_counters')
