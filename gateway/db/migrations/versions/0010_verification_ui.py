"""verification drafts: uploaded materials and product cost details (seed 001 ch. 7)

Revision ID: 0010_verification_ui
Revises: 0011
Create Date: 2026-11-23 18:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_verification_ui'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('verification_costs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=False),
    sa.Column('record_no', sa.String(length=64), nullable=False),
    sa.Column('pre_review_no', sa.String(length=64), nullable=False),
    sa.Column('product_json', sa.Text(), nullable=False),
    sa.Column('saved_by', sa.String(length=64), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'record_no', 'pre_review_no', name='uq_verification_costs')
    )
    with op.batch_alter_table('verification_costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_costs_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('verification_files',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=False),
    sa.Column('record_no', sa.String(length=64), nullable=False),
    sa.Column('file_type', sa.String(length=10), nullable=False),
    sa.Column('pre_review_no', sa.String(length=64), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_message_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('enterprise_id', 'record_no', 'file_name', name='uq_verification_files_name')
    )
    with op.batch_alter_table('verification_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_files_enterprise_id'), ['enterprise_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('verification_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_files_enterprise_id'))

    op.drop_table('verification_files')
    with op.batch_alter_table('verification_costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_costs_enterprise_id'))

    op.drop_table('verification_costs')
