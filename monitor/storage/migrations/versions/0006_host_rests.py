"""rests and pauses per host; re-checks of recent posts

Revision ID: 0006_host_rests
Revises: 0005_post_per_account
Create Date: 2026-12-04 02:00:00.000000

``account.host`` is the host an account is read from (a Mastodon server, a feed's host, the
Bluesky AppView): a 429 or a refused token rests or pauses that host's accounts only. It is
NULL in existing rows and set by each account's next poll (the host depends on settings,
which a migration does not read); until then such an account is polled as before. A
``host_rest`` row is one rest or pause of one host, until a time. ``post.checked_at`` is
when a re-check last looked at a post: recent posts are looked at again for edits, at most
once per ``daemon.recheck_recent_hours``, and picked by network and age.
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import monitor.storage.models


revision = '0006_host_rests'
down_revision = '0005_post_per_account'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255),
                                      nullable=True))
        batch_op.create_index('ix_account_network_host', ['network', 'host'], unique=False)
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_at', monitor.storage.models.UTCDateTime(),
                                      nullable=True))
        batch_op.create_index('ix_post_network_created_at', ['network', 'created_at'],
                              unique=False)
    op.create_table('host_rest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('since', monitor.storage.models.UTCDateTime(), nullable=False),
    sa.Column('until', monitor.storage.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_host_rest_network_host', 'host_rest', ['network', 'host', 'until'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_host_rest_network_host', table_name='host_rest')
    op.drop_table('host_rest')
    with op.batch_alter_table('post', schema=None) as batch_op:
        batch_op.drop_index('ix_post_network_created_at')
        batch_op.drop_column('checked_at')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index('ix_account_network_host')
        batch_op.drop_column('host')
