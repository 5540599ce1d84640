"""mailing kinds after the event (issue 17): certificates and feedback surveys

Revision ID: f17kind0001
Revises: f19docs00001
Create Date: 2026-12-05 13:15:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17kind0001'
down_revision = 'f19docs00001'
branch_labels = None
depends_on = None

NEW_VALUES = ("certificate", "survey")


def upgrade():
    # SQLite stores the kind as text without a constraint: nothing to do there
    if op.get_bind().dialect.name == "postgresql":
        for value in NEW_VALUES:
            op.execute(f"ALTER TYPE mailing_kind ADD VALUE IF NOT EXISTS '{value}'")


def downgrade():
    # PostgreSQL cannot drop a value from an enum type; rows of these kinds go first
    op.execute("DELETE FROM mailings WHERE kind IN ('certificate', 'survey')")
