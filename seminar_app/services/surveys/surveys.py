"""Writing an event's feedback survey: its questions, anonymity, opening and closing.

Rules:
- An event has at most one survey; it is made the first time organizers open its page.
- A question is a rating from 1 to 5, a single choice between listed options, or free text;
  its wording is given in English and Bahasa Indonesia (one language is enough: the other
  falls back to it); the options of both languages match by position, as for the extra
  registration questions.
- Once anybody has answered, a question keeps its kind and its number of options and cannot
  be removed (answers refer to it); its wording may still be corrected, and questions may be
  added.
- Anonymity is chosen before the first answer and is fixed afterwards.
- A survey takes answers only while it is open; it needs a question to be opened. Closing and
  opening again is allowed.
"""

import logging

from flask_babel import gettext as _
from sqlalchemy import exists, func, select

from ...database import use_case
from ...extensions import db
from ...models import (
    SURVEY_QUESTION_KINDS,
    Event,
    Registration,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyRespondent,
    utcnow,
)
from ..audit import record_action
from ..errors import Conflict, NotFound, ServiceError
from ..events.content_language import CONTENT_LANGUAGES
from ..registration.questions import CHOICE_MAX, CHOICES_MAX, CHOICES_MIN, LABEL_MAX, parse_choices

log = logging.getLogger(__name__)

#: the most questions one survey may have
QUESTIONS_MAX = 40


def find_survey(event: Event) -> Survey | None:
    """The event's survey, or None when it has none."""
    return db.session.scalar(select(Survey).where(Survey.event_id == event.id))


@use_case
def get_or_create_survey(event: Event, *, actor=None) -> Survey:
    """The event's survey, made (as a draft, not anonymous) when it has none. Commits."""
    survey = find_survey(event)
    if survey is None:
        survey = Survey(event_id=event.id, state="draft", anonymous=False)
        db.session.add(survey)
        db.session.flush()
        record_action("survey.create", survey, user=actor)
    return survey


def respondent_count(survey: Survey) -> int:
    """How many delegates have answered ``survey``."""
    return db.session.scalar(select(func.count()).select_from(SurveyRespondent)
                             .where(SurveyRespondent.survey_id == survey.id)) or 0


def get_question(survey: Survey, question_id: int) -> SurveyQuestion:
    """Question ``question_id`` of ``survey``; NotFound for any other."""
    question = db.session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey.id:
        raise NotFound(_("This question does not exist."))
    return question


def question_label(question: SurveyQuestion, language: str) -> str:
    """The question's wording in ``language``, else in the other language."""
    texts = question.translations or {}
    for code in (language, *CONTENT_LANGUAGES):
        label = (texts.get(code) or {}).get("label")
        if label:
            return label
    return ""


def question_choices(question: SurveyQuestion, language: str) -> list[str]:
    """The options of a choice question in ``language``, else in the other language."""
    texts = question.translations or {}
    for code in (language, *CONTENT_LANGUAGES):
        choices = (texts.get(code) or {}).get("choices")
        if choices:
            return list(choices)
    return []


def _clean_options(value, field: str) -> list[str]:
    options = parse_choices(value) if isinstance(value, str) else list(dict.fromkeys(
        str(option).strip() for option in value or () if str(option).strip()))
    if len(options) > CHOICES_MAX:
        raise ServiceError(_("At most %(max)d options.", max=CHOICES_MAX), field=field)
    if any(len(option) > CHOICE_MAX for option in options):
        raise ServiceError(_("Each option may have at most %(max)d characters.", max=CHOICE_MAX),
                           field=field)
    if options and len(options) < CHOICES_MIN:
        raise ServiceError(_("Give at least two options, one per line."), field=field)
    return options


def clean_question(kind: str, texts: dict) -> tuple[str, dict]:
    """(kind, translations) checked; ``texts`` is {"en": {"label", "choices"}, "id": {...}}.

    Raises ServiceError naming the form field (label_en, choices_id, kind, ...).
    """
    if kind not in SURVEY_QUESTION_KINDS:
        raise ServiceError(_("Please choose one of the options."), field="kind")
    translations = {}
    for code in CONTENT_LANGUAGES:
        given = texts.get(code) or {}
        label = given.get("label") or ""
        label = label.strip() if isinstance(label, str) else ""
        if len(label) > LABEL_MAX:
            raise ServiceError(_("At most %(max)d characters.", max=LABEL_MAX),
                               field=f"label_{code}")
        choices = (_clean_options(given.get("choices"), f"choices_{code}")
                   if kind == "choice" else [])
        translations[code] = {"label": label, "choices": choices}
    if not any(texts["label"] for texts in translations.values()):
        raise ServiceError(_("Please write the question (in English, Indonesian or both)."),
                           field="label_en")
    if kind == "choice":
        counts = {len(texts["choices"]) for texts in translations.values()} - {0}
        if not counts:
            raise ServiceError(_("Give at least two options, one per line."),
                               field="choices_en")
        if len(counts) > 1:
            raise ServiceError(_("Give the same number of options in every language, in the "
                                 "same order."), field="choices_id")
    return kind, translations


def _answer_count(question: SurveyQuestion) -> int:
    return db.session.scalar(select(func.count()).select_from(SurveyAnswer)
                             .where(SurveyAnswer.question_id == question.id)) or 0


@use_case
def add_question(survey: Survey, *, kind: str, texts: dict, required: bool = False,
                 actor=None) -> SurveyQuestion:
    """Add a question at the end of the survey. Commits."""
    kind, translations = clean_question(kind, texts)
    last = db.session.scalar(select(func.max(SurveyQuestion.position))
                             .where(SurveyQuestion.survey_id == survey.id))
    count = db.session.scalar(select(func.count(SurveyQuestion.id))
                              .where(SurveyQuestion.survey_id == survey.id)) or 0
    if count >= QUESTIONS_MAX:
        raise ServiceError(_("A survey may have at most %(max)d questions.",
                             max=QUESTIONS_MAX))
    question = SurveyQuestion(survey_id=survey.id, kind=kind, translations=translations,
                              required=bool(required),
                              position=0 if last is None else last + 1)
    db.session.add(question)
    db.session.flush()
    record_action("survey.question_add", survey, user=actor, question=question.id, kind=kind)
    return question


@use_case
def update_question(question: SurveyQuestion, *, kind: str, texts: dict,
                    required: bool = False, actor=None) -> SurveyQuestion:
    """Change a question's wording (always) and kind or options (before any answer)."""
    kind, translations = clean_question(kind, texts)
    if _answer_count(question):
        if kind != question.kind:
            raise Conflict(_("Delegates have answered this question already: its kind cannot "
                             "change. Add a new question instead."), field="kind")
        if kind == "choice" and _option_count(question.translations) != _option_count(
                translations):
            raise Conflict(_("Delegates have answered this question already: its options "
                             "can be reworded but not added or removed."), field="choices_en")
    question.kind, question.translations = kind, translations
    question.required = bool(required)
    record_action("survey.question_update", question.survey, user=actor, question=question.id)
    return question


def _option_count(translations: dict | None) -> int:
    return max((len((texts or {}).get("choices") or []) for texts in (translations or {})
                .values()), default=0)


@use_case
def delete_question(question: SurveyQuestion, *, actor=None) -> None:
    """Remove a question nobody has answered yet. Commits."""
    if _answer_count(question):
        raise Conflict(_("Delegates have answered this question already: it cannot be "
                         "removed."))
    survey = question.survey
    record_action("survey.question_delete", survey, user=actor, question=question.id)
    survey.questions.remove(question)
    db.session.flush()
    for position, other in enumerate(survey.questions):
        other.position = position


@use_case
def move_question(question: SurveyQuestion, *, direction: str, actor=None) -> None:
    """Move a question one place ``up`` or ``down`` (nothing happens at either end)."""
    if direction not in ("up", "down"):
        raise ServiceError(_("Please choose one of the options."))
    questions = list(question.survey.questions)
    index = questions.index(question)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(questions):
        return
    questions[index], questions[other] = questions[other], questions[index]
    for position, item in enumerate(questions):
        item.position = position
    record_action("survey.question_move", question.survey, user=actor, question=question.id,
                  direction=direction)


@use_case
def set_anonymous(survey: Survey, anonymous: bool, *, actor=None) -> Survey:
    """Make the survey anonymous or not; refused once anybody has answered. Commits."""
    anonymous = bool(anonymous)
    if anonymous == survey.anonymous:
        return survey
    if respondent_count(survey):
        raise Conflict(_("Delegates have answered already: whether the survey is anonymous "
                         "can no longer change."), field="anonymous")
    survey.anonymous = anonymous
    record_action("survey.anonymous", survey, user=actor, anonymous=anonymous)
    return survey


@use_case
def open_survey(survey: Survey, *, actor=None) -> Survey:
    """Start taking answers (the survey needs a question). Commits."""
    if not survey.questions:
        raise ServiceError(_("Add a question before opening the survey."))
    if survey.state != "open":
        survey.state, survey.opened_at, survey.closed_at = "open", utcnow(), None
        record_action("survey.open", survey, user=actor)
    return survey


@use_case
def close_survey(survey: Survey, *, actor=None) -> Survey:
    """Stop taking answers. Commits."""
    if survey.state == "open":
        survey.state, survey.closed_at = "closed", utcnow()
        record_action("survey.close", survey, user=actor)
    return survey


def require_open_survey(event: Event) -> Survey:
    """The event's open survey; a ServiceError (for the mailing's audience) otherwise."""
    survey = find_survey(event)
    if survey is None or survey.state != "open":
        raise ServiceError(_("Open the event's feedback survey before sending it."),
                           field="audience")
    return survey


def survey_answered_clause():
    """SQL (correlated to ``Registration``): the delegate has answered the event's survey."""
    return exists(select(SurveyRespondent.survey_id)
                  .join(Survey, SurveyRespondent.survey_id == Survey.id)
                  .where(Survey.event_id == Registration.event_id,
                         SurveyRespondent.registration_id == Registration.id))
