"""multi-factor authentication: TOTP, recovery codes, WebAuthn; organisation MFA rule

Revision ID: 0003_mfa
Revises: 0004_account
Create Date: 2026-11-24 09:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_mfa'
down_revision = '0004_account'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('idp_organisations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('require_mfa', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table('idp_mfa_totp',
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('secret_ct', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['idp_users.id'], ),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('idp_mfa_recovery_codes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['idp_users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_idp_mfa_recovery_codes_user_id', 'idp_mfa_recovery_codes', ['user_id'])
    op.create_table('idp_webauthn_credentials',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('credential_id', sa.String(length=1400), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('sign_count', sa.Integer(), nullable=False),
    sa.Column('multi_device', sa.Boolean(), nullable=False),
    sa.Column('transports', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['idp_users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('credential_id')
    )
    op.create_index('ix_idp_webauthn_credentials_user_id', 'idp_webauthn_credentials', ['user_id'])
    op.create_table('idp_webauthn_challenges',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('challenge', sa.String(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_idp_webauthn_challenges_expires_at', 'idp_webauthn_challenges', ['expires_at'])


def downgrade() -> None:
    op.drop_table('idp_webauthn_challenges')
    op.drop_table('idp_webauthn_credentials')
    op.drop_table('idp_mfa_recovery_codes')
    op.drop_table('idp_mfa_totp')
    with op.batch_alter_table('idp_organisations', schema=None) as batch_op:
        batch_op.drop_column('require_mfa')
