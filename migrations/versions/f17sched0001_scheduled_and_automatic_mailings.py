"""scheduled mailings and automatic emails per event (issue 17)

Revision ID: f17sched0001
Revises: f17surv0001
Create Date: 2026-12-05 13:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17sched0001'
down_revision = 'f17surv0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("mailings") as batch:
        batch.add_column(sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("automatic", sa.String(length=32), server_default="",
                                   nullable=False))
        batch.create_index("ix_mailings_started_at", ["started_at"], unique=False)
    # every mailing made before this revision started when it was created
    op.execute("UPDATE mailings SET started_at = created_at WHERE started_at IS NULL")
    op.create_table(
        "event_automations",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_reminder", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("event_reminder_days", sa.Integer(), server_default="3", nullable=False),
        sa.Column("event_reminder_wording", sa.JSON(), nullable=False),
        sa.Column("deadline_reminder", sa.Boolean(), server_default=sa.false(),
                  nullable=False),
        sa.Column("deadline_reminder_days", sa.Integer(), server_default="3", nullable=False),
        sa.Column("certificate", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("certificate_days", sa.Integer(), server_default="1", nullable=False),
        sa.Column("survey", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("survey_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("event_id"),
    )


def downgrade():
    op.drop_table("event_automations")
    with op.batch_alter_table("mailings") as batch:
        batch.drop_index("ix_mailings_started_at")
        batch.drop_column("automatic")
        batch.drop_column("cancelled_at")
        batch.drop_column("started_at")
        batch.drop_column("scheduled_at")
