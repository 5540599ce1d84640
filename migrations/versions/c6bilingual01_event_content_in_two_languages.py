"""event content in two languages

Each translatable table gets a JSON column ``translations``: ``{"en": {"title": ...},
"id": {...}}``. The existing text columns keep the text of the event's first language (older
code, the slug, the .ics file and searches read them); a further language needs no migration.

Revision ID: c6bilingual01
Revises: b5orgtype0001
Create Date: 2026-12-01 04:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c6bilingual01'
down_revision = 'b5orgtype0001'
branch_labels = None
depends_on = None

#: the tables whose texts are kept in several languages
TABLES = ('events', 'agenda_sessions', 'extra_questions')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False,
                                          server_default=sa.text("'{}'")))


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
