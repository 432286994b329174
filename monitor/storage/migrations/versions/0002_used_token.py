"""used_token: spent single-use sign-in links (hash of the nonce only)

Revision ID: 0002_used_token
Revises: 0001
Create Date: 2026-11-26 02:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import monitor.storage.models


revision = '0002_used_token'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('used_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('used_at', monitor.storage.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce_hash')
    )
    with op.batch_alter_table('used_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_token_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_used_token_used_at'), ['used_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('used_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_token_used_at'))
        batch_op.drop_index(batch_op.f('ix_used_token_employee_id'))

    op.drop_table('used_token')
