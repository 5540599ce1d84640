"""Forms of the participant pages: decisions on registrations, bulk actions, extra questions.

The registration form itself (add on behalf, edit) is the public one, built by
``seminar_app.registration.forms.build_registration_form(..., for_staff=True)``.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import BaseForm
from ..models import QuestionKind
from ..services.events.content_language import text_of
from ..services.registration.questions import (
    CHOICE_MAX,
    CHOICES_MAX,
    CHOICES_MIN,
    LABEL_MAX,
    parse_choices,
)

REASON_MAX = 2000
#: at most this many registrations in one bulk action
BULK_MAX = 1000
KIND_LABELS = {
    QuestionKind.TEXT: _l("Text answer"),
    QuestionKind.CHOICE: _l("Choice from a list"),
    QuestionKind.YES_NO: _l("Yes or no"),
}
BULK_ACTIONS = {
    "approve": _l("Approve"),
    "reject": _l("Reject"),
    "cancel": _l("Cancel"),
}
_strip = [lambda value: value.strip() if isinstance(value, str) else value]


class IdListField(Field):
    """Registration ids sent as repeated checkbox values; anything not a number is dropped."""

    widget = HiddenInput()

    def process_formdata(self, valuelist):
        ids = []
        for value in valuelist[: BULK_MAX + 1]:
            if isinstance(value, str) and value.isdigit() and len(value) < 12:
                ids.append(int(value))
        self.data = list(dict.fromkeys(ids))

    def _value(self):
        return ""


class RegistrationDecisionForm(BaseForm):
    """An organizer's optional reason for rejecting or cancelling (told to the delegate)."""

    reason = TextAreaField(_l("Reason (sent to the delegate, optional)"), filters=_strip,
                           validators=[Length(max=REASON_MAX,
                                              message=_l("At most %(max)d characters."))],
                           render_kw={"rows": 2})


class RegistrationBulkForm(RegistrationDecisionForm):
    """One action on the registrations ticked in the list."""

    action = SelectField(_l("With the selected registrations"),
                         choices=[SelectChoice(key, label) for key, label in BULK_ACTIONS.items()],
                         validators=[InputRequired(_l("Please choose one of the options."))])
    ids = IdListField()

    def validate_ids(self, field):
        if not field.data:
            raise ValidationError(_l("Select at least one registration."))
        if len(field.data) > BULK_MAX:
            raise ValidationError(_l("At most %(max)d registrations at a time.", max=BULK_MAX))


class QuestionEditForm(BaseForm):
    """An extra question of the registration form, in English (label, choices) and Indonesian
    (label_id, choices_id); options of the two languages match by position."""

    label = TextAreaField(_l("Question"), filters=_strip, validators=[
        Length(max=LABEL_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 2, "lang": "en"})
    label_id = TextAreaField(_l("Question"), filters=_strip, validators=[
        Length(max=LABEL_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 2, "lang": "id"})
    kind = RadioField(_l("Kind of answer"),
                      choices=[SelectChoice(kind.value, label) for kind, label in
                               KIND_LABELS.items()],
                      default=QuestionKind.TEXT.value,
                      validators=[InputRequired(_l("Please choose one of the options."))])
    choices = TextAreaField(_l("Options"), validators=[
        Length(max=CHOICES_MAX * (CHOICE_MAX + 2),
               message=_l("At most %(max)d characters."))],
        description=_l("For a choice: one option per line, at least two."),
        render_kw={"rows": 4, "lang": "en"})
    choices_id = TextAreaField(_l("Options"), validators=[
        Length(max=CHOICES_MAX * (CHOICE_MAX + 2),
               message=_l("At most %(max)d characters."))],
        description=_l("The same options in the same order, one per line."),
        render_kw={"rows": 4, "lang": "id"})
    required = BooleanField(_l("An answer is required"))

    def validate_label(self, field):
        if not field.data and not self.label_id.data:
            raise ValidationError(_l("Please write the question (in English, Indonesian or "
                                     "both)."))

    def _check_options(self, field):
        options = parse_choices(field.data or "")
        if len(options) > CHOICES_MAX:
            raise ValidationError(_l("At most %(max)d options.", max=CHOICES_MAX))
        if any(len(option) > CHOICE_MAX for option in options):
            raise ValidationError(_l("Each option may have at most %(max)d characters.",
                                     max=CHOICE_MAX))
        return options

    def validate_choices(self, field):
        if self.kind.data != QuestionKind.CHOICE.value:
            return
        options = self._check_options(field)
        other = parse_choices(self.choices_id.data or "")
        if len(options) < CHOICES_MIN and (options or len(other) < CHOICES_MIN):
            raise ValidationError(_l("Give at least two options, one per line."))

    def validate_choices_id(self, field):
        if self.kind.data != QuestionKind.CHOICE.value:
            return
        options = self._check_options(field)
        english = parse_choices(self.choices.data or "")
        if options and english and len(options) != len(english):
            raise ValidationError(_l(
                "Give as many options in Indonesian as in English (%(count)d), in the same "
                "order.", count=len(english)))
        if options and not english and len(options) < CHOICES_MIN:
            raise ValidationError(_l("Give at least two options, one per line."))

    def question_data(self) -> dict:
        """The values for services.registration.questions.add_question / update_question."""
        return {"label": self.label.data or self.label_id.data, "kind": self.kind.data,
                "choices": parse_choices(self.choices.data or self.choices_id.data or ""),
                "required": self.required.data,
                "translations": {
                    "en": {"label": self.label.data or "",
                           "choices": parse_choices(self.choices.data or "")},
                    "id": {"label": self.label_id.data or "",
                           "choices": parse_choices(self.choices_id.data or "")},
                }}

    @staticmethod
    def initial_data(question) -> dict:
        """A question's values as the form shows them."""
        return {"label": text_of(question, "label", "en"),
                "label_id": text_of(question, "label", "id"),
                "kind": question.kind.value,
                "choices": "\n".join(text_of(question, "choices", "en") or []),
                "choices_id": "\n".join(text_of(question, "choices", "id") or []),
                "required": question.required}
