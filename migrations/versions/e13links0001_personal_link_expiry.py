"""personal links: expiry of short-lived links

Revision ID: e13links0001
Revises: d7delegation1
Create Date: 2026-12-04 16:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = 'e13links0001'
down_revision = 'd7delegation1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registration_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('registration_links', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
