"""scale indexes: due-account pick per network, new-post lookup by edit group

Revision ID: 0003_scale_indexes
Revises: 0002_used_token
Create Date: 2026-11-26 03:00:00.000000

Found by benchmarks/bench_growth.py: without them the tick's pick sorts every active
account of a network, and storing each new post scans every post of its network.
"""
from alembic import op


revision = '0003_scale_indexes'
down_revision = '0002_used_token'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index('ix_account_network_next_poll_at', ['network', 'next_poll_at'],
                              unique=False)
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.create_index('ix_post_network_group_id', ['network', 'group_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_network_group_id')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index('ix_account_network_next_poll_at')
