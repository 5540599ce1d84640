"""Forms of the public registration: the registration form (with the event's extra questions),
cancelling, and asking for the personal link again."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from ..forms import BaseForm, country_select_choices
from ..i18n import current_language
from ..models import Event, ExtraQuestion, Honorific, QuestionKind
from ..services.events.content_language import choice_label, localized_text
from ..services.policies import WRITE_ONLY_FIELDS, mask_passport_number
from ..services.registration.questions import event_questions
from ..services.registration.registration_input import (
    EMAIL_LANGUAGES,
    INPUT_FIELDS,
    OTHER_HONORIFIC_MISSING,
    REQUIRED,
    TOO_LONG,
    VISA_FIELDS,
    InvalidInput,
    check_birth_date,
    check_passport_expiry,
)
from .form_fields import (
    LongSelect,
    check_country,
    check_name,
    check_no_markup,
    length,
    registration_form_fields,
)

__all__ = ["EMAIL_LANGUAGES", "REQUIRED", "TOO_LONG", "LongSelect", "ManageLinkResendForm",
           "RegistrationCancelForm", "RegistrationForm", "build_registration_form",
           "check_country", "check_name", "check_no_markup", "form_data"]

#: the registration's fields, from services.registration.registration_input (labels, checks,
# choices)
_RegistrationFields = type("_RegistrationFields", (BaseForm,), registration_form_fields())


class RegistrationForm(_RegistrationFields):
    """A delegate's details; ``build_registration_form`` adds the event's extra questions.

    The fields are built from services.registration.registration_input; only the consent belongs to
    the
    form alone.
    """

    consent = BooleanField(
        _l("I agree that the organizers process my personal data to run this event."),
        validators=[DataRequired(message=_l("Please give your consent to register."))])
    submit = SubmitField(_l("Register"))

    #: the event the form is for (set by build_registration_form)
    event: Event | None = None

    def validate(self, extra_validators=None) -> bool:
        """Field checks, then the checks that span several fields."""
        valid = super().validate(extra_validators)
        if self.honorific.data == Honorific.OTHER and not (self.honorific_other.data or "").strip():
            self.honorific_other.errors.append(OTHER_HONORIFIC_MISSING)
        if self.needs_visa_letter.data:
            self._check_visa_fields()
        return valid and not any(field.errors for field in self)

    def _check_visa_fields(self) -> None:
        """With a visa letter, every passport field is required and the dates plausible."""
        kept = WRITE_ONLY_FIELDS if getattr(self, "kept_passport", "") else ()
        for name in VISA_FIELDS:
            field = getattr(self, name)
            if name in kept:  # left empty on a personal link's form: the stored value stays
                continue
            value = field.data.strip() if isinstance(field.data, str) else field.data
            if not value and not field.errors:
                field.errors.append(REQUIRED)
        checks = [(self.birth_date, check_birth_date)]
        if self.event is not None and self.passport_expiry.data:
            checks.append((self.passport_expiry,
                           lambda expiry: check_passport_expiry(self.event, expiry)))
        for field, check in checks:
            try:
                check(field.data)
            except InvalidInput as error:
                field.errors.append(error.message)


def _question_field(question: ExtraQuestion):
    # strip_whitespace=False: a blank answer must still pass the choice check
    optional = Optional(strip_whitespace=False)
    validators = [InputRequired(message=REQUIRED)] if question.required else [optional]
    # the label and options in the visitor's language (or the other one); the value sent and
    # stored is always the base-language option, so answers mean the same in every language
    label = localized_text(question, "label")
    if question.kind == QuestionKind.CHOICE:
        choices = [SelectChoice("", _l("— choose —")),
                   *(SelectChoice(c, choice_label(question, c)) for c in question.choices or [])]
        return SelectField(label, choices=choices, validators=[
            *([DataRequired(message=REQUIRED)] if question.required else [optional])],
            validate_choice=True)
    if question.kind == QuestionKind.YES_NO:
        return RadioField(label,
                          choices=[SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))],
                          validators=validators, validate_choice=True)
    return StringField(label, validators=[*validators, length(1000)])


def _form_class(event: Event, questions: list[ExtraQuestion]) -> type:
    """The form class with ``questions`` as ``q_<id>`` fields, built once per version of the
    event (``updated_at`` moves with every change of its questions) and language."""
    key = (event.id, event.updated_at, current_language(),
           tuple((question.id, question.kind, question.required) for question in questions))
    classes = current_app.extensions.setdefault("registration_form_classes", {})
    form_class = classes.get(key)
    if form_class is None:
        form_class = type("EventRegistrationForm", (RegistrationForm,), {
            f"q_{question.id}": _question_field(question) for question in questions})
        if len(classes) > 256:
            classes.clear()
        classes[key] = form_class
    return form_class


def build_registration_form(event: Event, *, formdata=None, obj=None, for_staff=False,
                            write_only=False):
    """The registration form for ``event``: standard fields plus one ``q_<id>`` per question.

    ``formdata=None`` reads the request's form when it was submitted. With ``obj`` (a
    registration) the form edits it: no email (it stays as registered), no consent, and the
    answers are filled in. ``for_staff`` words the consent for staff registering a delegate.
    ``write_only`` (a personal link's form): the passport number, birth date and birthplace
    are never filled in; left empty, they keep the stored values (``kept_passport`` holds the
    masked number to show).
    """
    questions = event_questions(event)
    form_class = _form_class(event, questions)
    data = {"language": current_language(), "honorific": "", "delegation_role": "delegate"}
    if obj is not None:
        data = {f"q_{answer.question_id}": answer.value for answer in obj.answers}
    options = {} if formdata is None else {"formdata": formdata}  # None: the request's form
    form = form_class(obj=obj, data=data, **options)
    form.event = event
    form.questions = questions
    choices = country_select_choices()
    form.country.choices = form.nationality.choices = choices
    if obj is not None:
        del form["email"]
        del form["consent"]
        form.submit.label.text = _l("Save changes")
    elif for_staff:
        form.consent.label.text = _l("The delegate agreed that the organizers process their "
                                     "personal data to run this event.")
    form.kept_passport = ""
    if write_only and obj is not None:
        _hide_write_only(form, obj)
    return form


def _hide_write_only(form, registration) -> None:
    """Empty the write-only passport fields of a personal link's form (never shown back)."""
    if registration.needs_visa_letter:
        form.kept_passport = mask_passport_number(registration.passport_number)
    if not form.is_submitted():
        for name in WRITE_ONLY_FIELDS:
            form[name].data = None if name == "birth_date" else ""
            form[name].raw_data = None


def form_data(form) -> tuple[dict, dict[int, str]]:
    """The service's arguments from a validated registration form: (data, answers).

    The values are collected as sent; the service cleans them (whitespace, passport number,
    phone as E.164: services.registration.registration_input), as it does for every entry point.
    """
    data = {spec.name: form[spec.name].data for spec in INPUT_FIELDS if spec.name in form}
    answers = {question.id: str(form[f"q_{question.id}"].data or "")
               for question in form.questions}
    return data, answers


class RegistrationCancelForm(BaseForm):
    """Confirm cancelling one's own registration."""

    submit = SubmitField(_l("Cancel my registration"))


class ManageLinkResendForm(BaseForm):
    """Ask for the personal link to one's registration again."""

    email = EmailField(_l("Email"), validators=[DataRequired(message=REQUIRED), length(254)],
                       id="resend-email",
                       render_kw={"autocomplete": "email", "inputmode": "email"})
    submit = SubmitField(_l("Send me my link"), id="resend-submit")
