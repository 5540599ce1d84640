"""Feedback surveys after an event: the questions, who answered, and what was answered.

"Who answered" (``SurveyRespondent``) and "what was answered" (``SurveySubmission`` and its
``SurveyAnswer`` rows) are kept apart. A respondent row says only that a registration
answered (it is what makes a second answer impossible: its primary key is the survey and the
registration, a database constraint). For an anonymous survey the submission holds no
registration and its key is random; no table has a sequential id or a time, and on SQLite the
three tables are WITHOUT ROWID (stored in key order, not in the order of the answers), so
nothing lines a submission up with its respondent. (PostgreSQL still stores rows in the order
they arrive; only someone reading the raw pages could use that.)
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

#: the states of a survey (a String column, checked in Python)
SURVEY_STATES = ("draft", "open", "closed")
#: the kinds of question a survey has
SURVEY_QUESTION_KINDS = ("rating", "choice", "text")


class Survey(db.Model):
    """An event's feedback survey (one per event)."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the event asked about; one survey per event
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"),
                                          unique=True)
    #: draft (being written), open (answers taken) or closed
    state: Mapped[str] = mapped_column(String(16), default="draft")
    #: answers are not linked to the delegate; fixed once the first answer is in
    anonymous: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="survey", order_by="(SurveyQuestion.position, SurveyQuestion.id)",
        cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Survey {self.id} event={self.event_id} {self.state}>"


class SurveyQuestion(db.Model):
    """One question of a survey: a rating from 1 to 5, a single choice, or free text."""

    __tablename__ = "survey_questions"
    __table_args__ = (CheckConstraint("position >= 0", name="survey_position_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    #: rating, choice or text
    kind: Mapped[str] = mapped_column(String(16))
    #: wording per language, {"en": {"label": ..., "choices": [...]}, "id": {...}}; the
    #: options of both languages match by position (answers store the position)
    translations: Mapped[dict] = mapped_column(JSON, default=dict)
    required: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    def __repr__(self) -> str:
        return f"<SurveyQuestion {self.id} {self.kind}>"


class SurveyRespondent(db.Model):
    """A registration that has answered a survey: who, and nothing of what (or when)."""

    __tablename__ = "survey_respondents"
    __table_args__ = ({"sqlite_with_rowid": False},)

    #: the key itself is the rule: one row per survey and registration
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), primary_key=True, index=True)

    def __repr__(self) -> str:
        return f"<SurveyRespondent survey={self.survey_id} reg={self.registration_id}>"


class SurveySubmission(db.Model):
    """One set of answers; linked to its registration only when the survey is not anonymous."""

    __tablename__ = "survey_submissions"
    __table_args__ = ({"sqlite_with_rowid": False},)

    #: random, so that submissions have no order that would line them up with respondents
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"),
                                           index=True)
    #: the delegate who answered; always None for an anonymous survey
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), unique=True)
    #: the language the delegate answered in (en or id); empty for an anonymous survey
    language: Mapped[str] = mapped_column(String(8), default="")

    answers: Mapped[list["SurveyAnswer"]] = relationship(cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<SurveySubmission {self.id} survey={self.survey_id}>"


class SurveyAnswer(db.Model):
    """The answer of one submission to one question (no id of its own: no order)."""

    __tablename__ = "survey_answers"
    __table_args__ = (CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5",
                                      name="survey_rating_range"),
                      {"sqlite_with_rowid": False})

    submission_id: Mapped[str] = mapped_column(
        ForeignKey("survey_submissions.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("survey_questions.id", ondelete="CASCADE"), primary_key=True, index=True)
    #: a rating question's answer, 1 to 5
    rating: Mapped[int | None] = mapped_column()
    #: a choice question's answer: the position of the option
    choice: Mapped[int | None] = mapped_column()
    #: a text question's answer
    text: Mapped[str] = mapped_column(Text, default="")

    def __repr__(self) -> str:
        return f"<SurveyAnswer {self.submission_id} q={self.question_id}>"
