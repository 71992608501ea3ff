"""certificate drafts (暂存) and the audit of user administration

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-24 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('certificate_drafts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=False),
    sa.Column('cert_type', sa.String(length=4), nullable=False),
    sa.Column('cert_no', sa.String(length=20), nullable=False),
    sa.Column('document_no', sa.String(length=64), nullable=False),
    sa.Column('dest_country', sa.String(length=10), nullable=False),
    sa.Column('data_json', sa.Text(), nullable=False),
    sa.Column('issues_json', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('declared_message_id', sa.String(length=32), nullable=True),
    sa.Column('declared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('certificate_drafts', schema=None) as batch_op:
        batch_op.create_index('ix_certificate_drafts_enterprise_open', ['enterprise_id', 'declared_at', 'deleted_at'],
                              unique=False)

    op.create_table('user_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('user_events', schema=None) as batch_op:
        batch_op.create_index('ix_user_events_enterprise', ['enterprise_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_events', schema=None) as batch_op:
        batch_op.drop_index('ix_user_events_enterprise')
    op.drop_table('user_events')
    with op.batch_alter_table('certificate_drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_certificate_drafts_enterprise_open')
    op.drop_table('certificate_drafts')
