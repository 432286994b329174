"""the connector's notes on how a post was read

Revision ID: 0008_read_notes
Revises: 0007_failed_detectors
Create Date: 2026-12-04 02:30:00.000000

``post.read_notes`` keeps a connector's notes (JSON): a feed entry or an export row whose
date could not be read says ``created_at: poll time`` (or ``archive time``) and why. Empty
in existing rows.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008_read_notes'
down_revision = '0007_failed_detectors'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_notes', sqlmodel.sql.sqltypes.AutoString(length=2048),
                                      server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('read_notes')
