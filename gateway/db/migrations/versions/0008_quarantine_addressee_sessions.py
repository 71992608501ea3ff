"""quarantine addressee, operator users, session versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enterprise_id', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_quarantine_enterprise_id'), ['enterprise_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.alter_column('enterprise_id', existing_type=sa.String(length=32), nullable=True)
    # Files quarantined before this revision keep enterprise_id NULL: only operators see them until
    # re-processed (reading every stored file here would make the upgrade as slow as the table is big).


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('enterprise_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column('session_version')
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_enterprise_id'))
        batch_op.drop_column('enterprise_id')
