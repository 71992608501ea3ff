"""delivery guarantees: error class, edit-and-resend link, quarantine re-processing, retention archive

Revision ID: 0003
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa



revision = '0003'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('error_class', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('supersedes', sa.String(length=32), nullable=True))
        batch.create_index('ix_messages_supersedes', ['supersedes'])
    with op.batch_alter_table('quarantine') as batch:
        batch.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='open'))
        batch.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('resolution', sa.Text(), nullable=True))
        batch.create_index('ix_quarantine_status', ['status'])
    op.create_table(
        'message_archive',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('message_id', sa.String(length=32), nullable=False),
        sa.Column('enterprise_id', sa.String(length=32), nullable=False),
        sa.Column('message_type', sa.String(length=40), nullable=False),
        sa.Column('document_no', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('archive_name', sa.String(length=255), nullable=False),
        sa.Column('archive_sha256', sa.String(length=64), nullable=False),
        sa.Column('archive_bytes', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
    )
    op.create_index('ix_message_archive_enterprise_id', 'message_archive', ['enterprise_id'])


def downgrade() -> None:
    op.drop_index('ix_message_archive_enterprise_id', table_name='message_archive')
    op.drop_table('message_archive')
    with op.batch_alter_table('quarantine') as batch:
        batch.drop_index('ix_quarantine_status')
        for col in ('resolution', 'resolved_at', 'attempts', 'status'):
            batch.drop_column(col)
    with op.batch_alter_table('messages') as batch:
        batch.drop_index('ix_messages_supersedes')
        batch.drop_column('supersedes')
        batch.drop_column('error_class')
