"""a password-verified sign-in waiting for its second factor is not a session

Revision ID: 0006_pending_signins
Revises: 0005_privileged_scopes
Create Date: 2026-12-07 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_pending_signins'
down_revision = '0005_privileged_scopes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idp_pending_signins',
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('amr', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('secret_hash')
    )
    with op.batch_alter_table('idp_pending_signins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idp_pending_signins_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idp_pending_signins_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idp_pending_signins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idp_pending_signins_expires_at'))
        batch_op.drop_index(batch_op.f('ix_idp_pending_signins_user_id'))
    op.drop_table('idp_pending_signins')
