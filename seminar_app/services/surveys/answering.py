"""A delegate answers the event's survey, once, through their personal link.

Rules:
- Only an open survey takes answers; a closed (or not yet opened) one is refused with a
  message saying so (Conflict).
- Each registration answers once: a ``SurveyRespondent`` row per survey and registration,
  unique in the database, is written in the same transaction as the answers, so that a second
  answer (even sent at the same moment as the first) stores nothing and gets a Conflict.
- A rating is a whole number from 1 to 5; a choice is one of the options offered; a text is
  at most TEXT_MAX characters; a required question must be answered. Any problem refuses the
  whole answer (nothing is stored) with a message naming the question's field ``q<id>``.
- For an anonymous survey the submission is stored without the registration, without the
  language it was answered in and under a random key; "who answered" and "what was answered"
  share neither an id nor a time.
"""

import logging
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ...database import use_case
from ...extensions import db
from ...models import Registration, Survey, SurveyAnswer, SurveyRespondent, SurveySubmission
from ..audit import record_action
from ..errors import Conflict, NotFound, ServiceError
from .surveys import find_survey, question_choices

log = logging.getLogger(__name__)

#: the longest free-text answer
TEXT_MAX = 4000
RATINGS = (1, 2, 3, 4, 5)


class AlreadyAnswered(Conflict):
    """The delegate has answered this survey already."""


class SurveyClosed(Conflict):
    """The survey does not take answers (not opened yet, or closed)."""


def survey_for(registration: Registration) -> Survey:
    """The survey of the registration's event; NotFound when the event has none."""
    survey = find_survey(registration.event)
    if survey is None:
        raise NotFound(_("This event has no feedback survey."))
    return survey


def has_answered(survey: Survey, registration: Registration) -> bool:
    """Whether ``registration`` has answered ``survey``."""
    return db.session.scalar(select(SurveyRespondent.survey_id).where(
        SurveyRespondent.survey_id == survey.id,
        SurveyRespondent.registration_id == registration.id)) is not None


def check_can_answer(survey: Survey, registration: Registration) -> None:
    """SurveyClosed or AlreadyAnswered when ``registration`` may not answer now."""
    if has_answered(survey, registration):
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!"))
    if survey.state != "open":
        raise SurveyClosed(_("This survey is closed: it no longer takes answers."))


def _rating(value, field: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number not in RATINGS or str(value).strip() != str(number):
        raise ServiceError(_("Choose a rating from 1 to 5."), field=field)
    return number


def _choice(question, value, field: str) -> int:
    options = question_choices(question, "en")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number < len(options) or str(value).strip() != str(number):
        raise ServiceError(_("Choose one of the options offered."), field=field)
    return number


def clean_answers(survey: Survey, given: dict) -> list[SurveyAnswer]:
    """The answers of ``given`` ({"q<id>": value}) checked; ServiceError on the first problem."""
    answers = []
    for question in survey.questions:
        field = f"q{question.id}"
        value = given.get(field)
        value = "" if value is None else value
        blank = isinstance(value, str) and not value.strip()
        if blank:
            if question.required:
                raise ServiceError(_("Please answer this question."), field=field)
            continue
        answer = SurveyAnswer(question_id=question.id, text="")
        if question.kind == "rating":
            answer.rating = _rating(value, field)
        elif question.kind == "choice":
            answer.choice = _choice(question, value, field)
        else:
            text = str(value).replace("\r\n", "\n").strip()
            if len(text) > TEXT_MAX:
                raise ServiceError(_("Use at most %(max)d characters.", max=TEXT_MAX),
                                   field=field)
            answer.text = text
        answers.append(answer)
    return answers


@use_case
def submit_answers(registration: Registration, given: dict, *, language: str) -> Survey:
    """Store the delegate's answers once. Commits; AlreadyAnswered, SurveyClosed or a
    ServiceError on a question's field otherwise, with nothing stored."""
    survey = survey_for(registration)
    check_can_answer(survey, registration)
    answers = clean_answers(survey, given)
    if not answers:
        raise ServiceError(_("Please answer at least one question."))
    db.session.add(SurveyRespondent(survey_id=survey.id, registration_id=registration.id))
    try:
        db.session.flush()
    except IntegrityError:  # the same delegate's other answer was stored meanwhile
        raise AlreadyAnswered(_("You have already answered this survey. Thank you!")) from None
    submission = SurveySubmission(  # anonymous: not even the language, which could single
        id=secrets.token_hex(16), survey_id=survey.id,  # out the only Indonesian speaker
        language="" if survey.anonymous else language,
        registration_id=None if survey.anonymous else registration.id)
    submission.answers = answers
    db.session.add(submission)
    db.session.flush()
    if survey.anonymous:  # the audit entry says who answered, never which answers
        record_action("survey.answer", survey, user=None)
    else:
        record_action("survey.answer", survey, user=None, registration=registration.id,
                      submission=submission.id)
    log.info("survey %s answered", survey.id)
    return survey
