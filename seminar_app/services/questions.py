"""Extra questions organizers add to an event's registration form.

A question is free text, a choice between listed options, or yes/no; required or not. The
form shows them in ``position`` order after the standard fields. A question that already has
answers keeps its kind (the answers would no longer fit); its label and options may change.
Deleting a question deletes its answers. Every change is audited and committed once.
"""

import logging

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Event, ExtraQuestion, QuestionKind, RegistrationAnswer
from .audit import record_action
from .errors import Conflict, ServiceError

log = logging.getLogger(__name__)

LABEL_MAX = 300
CHOICE_MAX = 200
CHOICES_MIN = 2
CHOICES_MAX = 50


def event_questions(event: Event) -> list[ExtraQuestion]:
    """The event's extra questions in the order the form shows them."""
    return list(db.session.scalars(
        select(ExtraQuestion).where(ExtraQuestion.event_id == event.id)
        .order_by(ExtraQuestion.position, ExtraQuestion.id)
    ))


def parse_choices(text: str) -> list[str]:
    """Options typed one per line: trimmed, empty lines and repeats dropped, order kept."""
    lines = (line.strip() for line in (text or "").splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def _clean(label: str, kind, choices) -> tuple[str, QuestionKind, list[str]]:
    """Checked values; raises ServiceError naming the field."""
    label = (label or "").strip()
    if not label:
        raise ServiceError(_("Please write the question."), field="label")
    if len(label) > LABEL_MAX:
        raise ServiceError(_("At most %(max)d characters.", max=LABEL_MAX), field="label")
    try:
        kind = QuestionKind(kind)
    except ValueError as error:
        raise ServiceError(_("Please choose one of the options."), field="kind") from error
    if kind != QuestionKind.CHOICE:
        return label, kind, []
    if isinstance(choices, str):
        choices = parse_choices(choices)
    choices = list(dict.fromkeys(str(c).strip() for c in choices or () if str(c).strip()))
    if len(choices) < CHOICES_MIN:
        raise ServiceError(_("Give at least two options, one per line."), field="choices")
    if len(choices) > CHOICES_MAX:
        raise ServiceError(_("At most %(max)d options.", max=CHOICES_MAX), field="choices")
    if any(len(choice) > CHOICE_MAX for choice in choices):
        raise ServiceError(_("Each option may have at most %(max)d characters.", max=CHOICE_MAX),
                           field="choices")
    return label, kind, choices


def _answer_count(question: ExtraQuestion) -> int:
    return db.session.scalar(
        select(func.count(RegistrationAnswer.id))
        .where(RegistrationAnswer.question_id == question.id)
    ) or 0


def add_question(event: Event, *, label: str, kind, choices=(), required: bool = False,
                 actor=None) -> ExtraQuestion:
    """Add a question at the end of the event's registration form."""
    label, kind, choices = _clean(label, kind, choices)
    last = db.session.scalar(
        select(func.max(ExtraQuestion.position)).where(ExtraQuestion.event_id == event.id)
    )
    question = ExtraQuestion(event_id=event.id, label=label, kind=kind, choices=choices,
                             required=bool(required), position=0 if last is None else last + 1)
    db.session.add(question)
    db.session.flush()
    record_action("question.create", question, user=actor, label=label, kind=kind.value)
    db.session.commit()
    return question


def update_question(question: ExtraQuestion, *, label: str, kind, choices=(),
                    required: bool = False, actor=None) -> ExtraQuestion:
    """Change a question; its kind only while nobody has answered it."""
    label, kind, choices = _clean(label, kind, choices)
    if kind != question.kind and _answer_count(question):
        raise Conflict(_("Delegates have answered this question already: its kind cannot "
                         "change. Add a new question instead."), field="kind")
    changed = [name for name, value in (("label", label), ("kind", kind), ("choices", choices),
                                        ("required", bool(required)))
               if getattr(question, name) != value]
    question.label, question.kind = label, kind
    question.choices, question.required = choices, bool(required)
    record_action("question.update", question, user=actor, changed=changed)
    db.session.commit()
    return question


def delete_question(question: ExtraQuestion, *, actor=None) -> None:
    """Remove a question and every answer given to it."""
    event_id, label = question.event_id, question.label
    record_action("question.delete", question, user=actor, label=label,
                  answers=_answer_count(question))
    db.session.execute(
        RegistrationAnswer.__table__.delete().where(RegistrationAnswer.question_id == question.id)
    )
    db.session.delete(question)
    db.session.flush()
    for position, other in enumerate(_questions_of(event_id)):
        other.position = position
    db.session.commit()


def _questions_of(event_id: int) -> list[ExtraQuestion]:
    return list(db.session.scalars(
        select(ExtraQuestion).where(ExtraQuestion.event_id == event_id)
        .order_by(ExtraQuestion.position, ExtraQuestion.id)
    ))


def move_question(question: ExtraQuestion, *, direction: str, actor=None) -> None:
    """Move a question one place ``up`` or ``down`` (nothing happens at either end)."""
    if direction not in ("up", "down"):
        raise ServiceError(_("Please choose one of the options."))
    questions = _questions_of(question.event_id)
    index = questions.index(question)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(questions):
        return
    questions[index], questions[other] = questions[other], questions[index]
    for position, item in enumerate(questions):
        item.position = position
    record_action("question.move", question, user=actor, direction=direction)
    db.session.commit()
