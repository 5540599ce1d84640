"""feedback surveys after the event (issue 17)

Revision ID: f17surv0001
Revises: f17cert0001
Create Date: 2026-12-05 13:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f17surv0001'
down_revision = 'f17cert0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("translations", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("position >= 0", name="survey_position_not_negative"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_survey_questions_survey_id", "survey_questions", ["survey_id"])
    # WITHOUT ROWID on SQLite: stored in key order, not in the order of the answers
    op.create_table(
        "survey_respondents",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("survey_id", "registration_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_respondents_registration_id", "survey_respondents",
                    ["registration_id"])
    op.create_table(
        "survey_submissions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["registrations.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_submissions_survey_id", "survey_submissions", ["survey_id"])
    op.create_table(
        "survey_answers",
        sa.Column("submission_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("choice", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5",
                           name="survey_rating_range"),
        sa.ForeignKeyConstraint(["question_id"], ["survey_questions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submission_id"], ["survey_submissions.id"],
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("submission_id", "question_id"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_answers_question_id", "survey_answers", ["question_id"])


def downgrade():
    op.drop_index("ix_survey_answers_question_id", table_name="survey_answers")
    op.drop_table("survey_answers")
    op.drop_index("ix_survey_submissions_survey_id", table_name="survey_submissions")
    op.drop_table("survey_submissions")
    op.drop_index("ix_survey_respondents_registration_id", table_name="survey_respondents")
    op.drop_table("survey_respondents")
    op.drop_index("ix_survey_questions_survey_id", table_name="survey_questions")
    op.drop_table("survey_questions")
    op.drop_table("surveys")
