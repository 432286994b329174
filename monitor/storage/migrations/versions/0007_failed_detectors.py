"""a detector that failed is recorded with the post

Revision ID: 0007_failed_detectors
Revises: 0006_host_rests
Create Date: 2026-12-04 02:10:00.000000

``post.failed_detectors`` names the detectors that raised on the post's current text
(comma-separated, names only, never the text or the error's words). Empty in existing rows.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007_failed_detectors'
down_revision = '0006_host_rests'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_detectors',
                                      sqlmodel.sql.sqltypes.AutoString(length=512),
                                      server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_column('failed_detectors')
