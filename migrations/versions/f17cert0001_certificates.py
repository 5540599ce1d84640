"""certificates of attendance (issue 17)

Revision ID: f17cert0001
Revises: f17trav0001
Create Date: 2026-12-05 13:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17cert0001'
down_revision = 'f17trav0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certificate_settings',
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('scope', sa.String(length=20), nullable=False),
        sa.Column('signatory_name', sa.String(length=200), nullable=False),
        sa.Column('signatory_title', sa.String(length=200), nullable=False),
        sa.Column('wording_en', sa.String(length=500), nullable=False),
        sa.Column('wording_id', sa.String(length=500), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('event_id'),
    )


def downgrade():
    op.drop_table('certificate_settings')
