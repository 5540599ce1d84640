"""travel and accommodation (issue 17): hotels with room blocks, arrivals and departures

Revision ID: f17trav0001
Revises: f17kind0001
Create Date: 2026-12-05 13:15:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

# revision identifiers, used by Alembic.
revision = 'f17trav0001'
down_revision = 'f17kind0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
