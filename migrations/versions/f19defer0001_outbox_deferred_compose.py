"""outbox: emails rendered by the worker just before sending (issue 19)

``outbox_emails.compose`` (Text holding encrypted JSON, seminar_app.crypto; NULL for every
existing row) records what the worker is to render for a row queued without its subject and
bodies: the registration confirmation is no longer rendered inside the registration request.

Revision ID: f19defer0001
Revises: f17cert0002
Create Date: 2026-12-06 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f19defer0001'
down_revision = 'f17cert0002'
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD / DROP COLUMN on both databases (SQLite has both since 3.35): a batch
# copy of outbox_emails, possibly large, is not needed, and would reflect the invitees table
# it refers to, whose index on lower(name) SQLite cannot reflect.


def upgrade():
    op.add_column('outbox_emails', sa.Column('compose', sa.Text(), nullable=True))


def downgrade():
    # rows still waiting to be rendered cannot be sent by the code before this revision:
    # they are failed, and their compose data (a personal link's token) goes with the column
    op.execute("UPDATE outbox_emails SET status = 'failed', "
               "last_error = 'Not sent: prepared by a newer version of the application' "
               "WHERE compose IS NOT NULL AND status IN ('queued', 'sending')")
    op.drop_column('outbox_emails', 'compose')
