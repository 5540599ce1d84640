"""Extra questions organizers add to an event's registration form.

A question is free text, a choice between listed options, or yes/no; required or not. The
form shows them in ``position`` order after the standard fields. A question that already has
answers keeps its kind (the answers would no longer fit); its label and options may change.
Deleting a question deletes its answers. Every change is audited and committed once.
"""

import logging

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...database import use_case
from ...extensions import db
from ...models import Event, ExtraQuestion, QuestionKind, RegistrationAnswer, utcnow
from ..audit import record_action
from ..errors import Conflict, ServiceError
from ..events.content_language import CONTENT_LANGUAGES, base_language, base_source, merge_texts

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


def _clean_options(choices, field: str) -> list[str]:
    if isinstance(choices, str):
        choices = parse_choices(choices)
    choices = list(dict.fromkeys(str(c).strip() for c in choices or () if str(c).strip()))
    if len(choices) > CHOICES_MAX:
        raise ServiceError(_("At most %(max)d options.", max=CHOICES_MAX), field=field)
    if any(len(choice) > CHOICE_MAX for choice in choices):
        raise ServiceError(_("Each option may have at most %(max)d characters.", max=CHOICE_MAX),
                           field=field)
    return choices


def _clean_translations(translations: dict, kind: QuestionKind) -> dict:
    """The label and options per language, checked; options of both languages match."""
    given = {}
    for code, texts in translations.items():
        if code not in CONTENT_LANGUAGES:
            continue
        suffix = "" if code == CONTENT_LANGUAGES[0] else f"_{code}"
        label = (texts or {}).get("label") or ""
        label = label.strip() if isinstance(label, str) else ""
        if len(label) > LABEL_MAX:
            raise ServiceError(_("At most %(max)d characters.", max=LABEL_MAX),
                               field="label" + suffix)
        options = []
        if kind == QuestionKind.CHOICE:
            options = _clean_options((texts or {}).get("choices"), "choices" + suffix)
            if options and len(options) < CHOICES_MIN:
                raise ServiceError(_("Give at least two options, one per line."),
                                   field="choices" + suffix)
        given[code] = {"label": label, "choices": options}
    counts = {len(texts["choices"]) for texts in given.values() if texts["choices"]}
    if len(counts) > 1:
        raise ServiceError(_("Give the same number of options in every language, in the same "
                             "order."), field="choices_id")
    return given


def _clean(label: str, kind, choices, translations: dict | None = None, *,
           question: ExtraQuestion | None = None,
           base: str = CONTENT_LANGUAGES[0]) -> tuple[str, QuestionKind, list[str], dict]:
    """Checked values and the texts per language; raises ServiceError naming the field.

    ``translations`` (``{"en": {"label": ..., "choices": [...]}, "id": {...}}``) gives the
    texts per language; without it, ``label`` and ``choices`` are the base language's.
    """
    label = (label or "").strip()
    if len(label) > LABEL_MAX:
        raise ServiceError(_("At most %(max)d characters.", max=LABEL_MAX), field="label")
    try:
        kind = QuestionKind(kind)
    except ValueError as error:
        raise ServiceError(_("Please choose one of the options."), field="kind") from error
    choices = _clean_options(choices, "choices") if kind == QuestionKind.CHOICE else []
    given = None if translations is None else _clean_translations(translations, kind)
    stored = None if question is None else {"label": question.label,
                                            "choices": list(question.choices or [])}
    current = None if question is None else question.translations
    if kind != QuestionKind.CHOICE and current:
        current = {code: {**texts, "choices": []} for code, texts in current.items()}
    new, values = merge_texts(current=current, given=given,
                              plain={"label": label, "choices": choices},
                              fields=("label", "choices"), base=base, stored=stored)
    label, choices = values["label"], values["choices"] if kind == QuestionKind.CHOICE else []
    if not label:
        raise ServiceError(_("Please write the question."), field="label")
    if kind == QuestionKind.CHOICE and len(choices) < CHOICES_MIN:
        raise ServiceError(_("Give at least two options, one per line."), field="choices")
    counts = {len(texts.get("choices") or []) for texts in new.values()} - {0}
    if len(counts) > 1:
        raise ServiceError(_("Give the same number of options in every language, in the same "
                             "order."), field="choices_id")
    return label, kind, choices, new


def _answer_count(question: ExtraQuestion) -> int:
    return db.session.scalar(
        select(func.count(RegistrationAnswer.id))
        .where(RegistrationAnswer.question_id == question.id)
    ) or 0


def _touch_event(event_id: int) -> None:
    """The registration form changed: bump the event's ``updated_at`` (page_cache keys on it)."""
    db.session.execute(Event.__table__.update().where(Event.__table__.c.id == event_id)
                       .values(updated_at=utcnow()))


@use_case
def add_question(event: Event, *, label: str, kind, choices=(), required: bool = False,
                 actor=None, translations: dict | None = None) -> ExtraQuestion:
    """Add a question at the end of the event's registration form (texts: see ``_clean``)."""
    label, kind, choices, translations = _clean(label, kind, choices, translations,
                                                base=base_language(event))
    last = db.session.scalar(
        select(func.max(ExtraQuestion.position)).where(ExtraQuestion.event_id == event.id)
    )
    question = ExtraQuestion(event_id=event.id, label=label, kind=kind, choices=choices,
                             translations=translations, required=bool(required),
                             position=0 if last is None else last + 1)
    db.session.add(question)
    db.session.flush()
    record_action("question.create", question, user=actor, label=label, kind=kind.value)
    _touch_event(event.id)
    return question


@use_case
def update_question(question: ExtraQuestion, *, label: str, kind, choices=(),
                    required: bool = False, actor=None,
                    translations: dict | None = None) -> ExtraQuestion:
    """Change a question; its kind only while nobody has answered it."""
    base = base_language(question)
    label, kind, choices, translations = _clean(label, kind, choices, translations,
                                                question=question, base=base)
    if kind != question.kind and _answer_count(question):
        raise Conflict(_("Delegates have answered this question already: its kind cannot "
                         "change. Add a new question instead."), field="kind")
    changed = [name for name, value in (("label", label), ("kind", kind), ("choices", choices),
                                        ("required", bool(required)),
                                        ("translations", translations))
               if getattr(question, name) != value]
    if kind == QuestionKind.CHOICE and question.kind == QuestionKind.CHOICE:
        _keep_answers(question, choices, translations, base)
    question.label, question.kind = label, kind
    question.choices, question.required = choices, bool(required)
    question.translations = translations
    record_action("question.update", question, user=actor, changed=changed)
    _touch_event(question.event_id)
    return question


def _keep_answers(question: ExtraQuestion, choices: list[str], translations: dict,
                  base: str) -> None:
    """Answers store the base language's option. When the options of the base column now come
    from another language (the base language's were written or removed), the stored answers
    follow, matched by position, so that an answer keeps meaning the same option."""
    before = base_source(question.translations, "choices", base) or base
    after = base_source(translations, "choices", base) or base
    old = list(question.choices or [])
    if before == after or old == choices or len(old) != len(choices):
        return
    table = RegistrationAnswer.__table__
    # two steps through a marker, so that options swapping texts cannot collide
    marker = "\u2063moved\u2063"
    for index, value in enumerate(old):
        db.session.execute(table.update().where(
            table.c.question_id == question.id, table.c.value == value
        ).values(value=f"{marker}{index}"))
    for index, value in enumerate(choices):
        db.session.execute(table.update().where(
            table.c.question_id == question.id, table.c.value == f"{marker}{index}"
        ).values(value=value))


@use_case
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
    _touch_event(event_id)


def _questions_of(event_id: int) -> list[ExtraQuestion]:
    return list(db.session.scalars(
        select(ExtraQuestion).where(ExtraQuestion.event_id == event_id)
        .order_by(ExtraQuestion.position, ExtraQuestion.id)
    ))


@use_case
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
    _touch_event(question.event_id)
