"""posts keyed by account; session versions; deletion checks; compliance links

Revision ID: 0005_post_per_account
Revises: 0004_finding_post_status
Create Date: 2026-12-03 13:00:00.000000

Native ids are unique per account only (two exports can both hold ``same-1``; Mastodon ids
are unique per server): a post is (account_id, native_id) now. Existing rows already satisfy
the new key, since the old one was stricter. ``missing_checks`` counts re-checks in a row
that did not see a post, so a deletion is never inferred from one empty answer.
``employee.session_version`` is bumped by sign-out and opt-out: older cookies stop working.
``compliance_link`` records each compliance link so it can be revoked.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import monitor.storage.models


revision = '0005_post_per_account'
down_revision = '0004_finding_post_status'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_constraint('uq_post_network_native', type_='unique')
        batch_op.drop_index('ix_post_network_group_id')
        batch_op.add_column(sa.Column('missing_checks', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.create_unique_constraint('uq_post_account_native', ['account_id', 'native_id'])
        batch_op.create_index('ix_post_account_group_id', ['account_id', 'group_id'],
                              unique=False)
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.create_table('compliance_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', monitor.storage.models.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', monitor.storage.models.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('nonce_hash')
    )


def downgrade() -> None:
    op.drop_table('compliance_link')
    with op.batch_alter_table('employee', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_account_group_id')
        batch_op.drop_constraint('uq_post_account_native', type_='unique')
        batch_op.drop_column('missing_checks')
        batch_op.create_index('ix_post_network_group_id', ['network', 'group_id'], unique=False)
        batch_op.create_unique_constraint('uq_post_network_native', ['network', 'native_id'])
