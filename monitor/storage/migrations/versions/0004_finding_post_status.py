"""finding lookups go through the post: (post_id, status) replaces the status index

Revision ID: 0004_finding_post_status
Revises: 0003_scale_indexes
Create Date: 2026-11-26 01:20:00.000000

With an index on status alone, SQLite (without statistics) started the review page's and the
digest's queries from every open flag in the company (benchmarks/bench_growth.py).
"""
from alembic import op


revision = '0004_finding_post_status'
down_revision = '0003_scale_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_status')
        batch_op.drop_index('ix_finding_post_id')
        batch_op.create_index('ix_finding_post_id_status', ['post_id', 'status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_index('ix_finding_post_id_status')
        batch_op.create_index('ix_finding_post_id', ['post_id'], unique=False)
        batch_op.create_index('ix_finding_status', ['status'], unique=False)
