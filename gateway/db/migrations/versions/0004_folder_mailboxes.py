"""folder mailboxes: files taken from OutBox, receipts exported to InBox, SFTP logins

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:20:00
"""
from alembic import op
import sqlalchemy as sa



revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('folder_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=False),
    sa.Column('module', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('message_id', sa.String(length=32), nullable=True),
    sa.Column('errors_json', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'module', 'file_name', 'sha256', name='uq_folder_files')
    )
    with op.batch_alter_table('folder_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_folder_files_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_folder_files_message_id'), ['message_id'], unique=False)

    op.create_table('folder_exports',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('receipt_pk', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['receipt_pk'], ['receipts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('receipt_pk', name='uq_folder_exports_receipt')
    )
    op.create_table('folder_sftp_logins',
    sa.Column('enterprise_id', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('authorized_keys', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.PrimaryKeyConstraint('enterprise_id')
    )


def downgrade() -> None:
    op.drop_table('folder_sftp_logins')
    op.drop_table('folder_exports')
    with op.batch_alter_table('folder_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_folder_files_message_id'))
        batch_op.drop_index(batch_op.f('ix_folder_files_enterprise_id'))
    op.drop_table('folder_files')
