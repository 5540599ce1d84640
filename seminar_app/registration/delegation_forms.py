"""Forms of a delegation's registration: the head's full details (the event's registration
form, extra questions included) plus a list of member rows.

Member rows: a fixed number is rendered (``DEFAULT_ROWS``, or ``?rows=N`` up to
``MAX_MEMBERS`` without JavaScript); static/js/delegation.js adds rows by cloning a template
row. A row left entirely empty is ignored; a started row is checked like a registration.
"""

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, FieldList, FormField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, ValidationError

from ..forms import BaseForm
from ..models import DelegationRole, Event, Honorific
from ..services.delegations import MAX_MEMBERS
from ..services.registration_labels import HONORIFIC_LABELS, ROLE_LABELS
from .forms import (
    EMAIL_LANGUAGES,
    REQUIRED,
    RegistrationForm,
    _length,
    build_registration_form,
    check_name,
    check_no_markup,
)

DEFAULT_ROWS = 5
#: the fields of a member row that, when all empty, mean "no member here"
_ROW_FIELDS = ("given_name", "family_name", "email", "position", "honorific_other")


class MemberForm(BaseForm):
    """One member of a delegation (a sub-form: no CSRF token of its own)."""

    class Meta:
        csrf = False

    honorific = SelectField(
        _l("Form of address"), validators=[InputRequired(message=REQUIRED)],
        choices=[SelectChoice("", _l("— choose —")),
                 *(SelectChoice(h.value, label) for h, label in HONORIFIC_LABELS.items())],
        validate_choice=False)
    honorific_other = StringField(_l("Other form of address"),
                                  validators=[Optional(), _length(40), check_no_markup])
    given_name = StringField(_l("Given name"), validators=[
        DataRequired(message=REQUIRED), _length(100), check_name])
    family_name = StringField(_l("Family name"), validators=[
        DataRequired(message=REQUIRED), _length(100), check_name])
    email = EmailField(_l("Email"), validators=[DataRequired(message=REQUIRED), _length(254)],
                       render_kw={"inputmode": "email", "autocomplete": "off"})
    delegation_role = SelectField(
        _l("Role in the delegation"), default="delegate",
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validate_choice=False)
    position = StringField(_l("Position"), validators=[Optional(), _length(200),
                                                       check_no_markup])
    language = SelectField(
        _l("Language for emails"),
        choices=[SelectChoice("", _l("As the head of delegation")),
                 *(SelectChoice(*pair) for pair in EMAIL_LANGUAGES)],
        validate_choice=False)

    @property
    def is_empty(self) -> bool:
        """True when nothing was written in the row (its menus alone do not count)."""
        return not any((self[name].data or "").strip() for name in _ROW_FIELDS)

    def validate(self, extra_validators=None) -> bool:
        if self.is_empty:
            return True
        valid = super().validate(extra_validators)
        if self.honorific.data == Honorific.OTHER and not (self.honorific_other.data or "").strip():
            self.honorific_other.errors.append(_l("Please write the form of address."))
        return valid and not any(field.errors for field in self)

    def validate_honorific(self, field) -> None:
        if field.data not in {h.value for h in Honorific}:
            raise ValidationError(_l("Choose a form of address from the list."))

    def validate_delegation_role(self, field) -> None:
        if field.data not in {r.value for r in DelegationRole}:
            raise ValidationError(_l("Choose a role from the list."))

    def validate_language(self, field) -> None:
        if field.data and field.data not in dict(EMAIL_LANGUAGES):
            raise ValidationError(_l("Choose a language from the list."))

    def validate_email(self, field) -> None:
        RegistrationForm.validate_email(self, field)


def requested_rows(args) -> int:
    """How many member rows to show: ``?rows=N`` (bounded), else ``DEFAULT_ROWS``."""
    try:
        rows = int(args.get("rows", DEFAULT_ROWS))
    except (TypeError, ValueError):
        rows = DEFAULT_ROWS
    return max(1, min(rows, MAX_MEMBERS))


def build_delegation_form(event: Event, *, rows: int = DEFAULT_ROWS, for_staff=False):
    """The head's registration form for ``event`` plus ``delegation_name`` and ``members``."""
    reference = build_registration_form(event, formdata=MultiDict(), for_staff=for_staff)
    head_class = type(reference)
    form_class = type("EventDelegationForm", (head_class,), {
        "delegation_name": StringField(
            _l("Name of the delegation"), validators=[Optional(), _length(200),
                                                      check_no_markup],
            description=_l("For example Delegation of Thailand; left empty, it is named "
                           "after the country.")),
        # one entry more than allowed, so that too many rows is told, not dropped
        "members": FieldList(FormField(MemberForm), min_entries=rows,
                             max_entries=MAX_MEMBERS + 1),
        "validate": _validate_delegation,
    })
    form = form_class(data={**_head_defaults(), "members": [{} for _row in range(rows)]})
    form.event, form.questions = event, reference.questions
    for name in ("country", "nationality"):
        form[name].choices = reference[name].choices
    form.consent.label.text = reference.consent.label.text
    form.submit.label.text = _l("Register the delegation")
    return form


def _validate_delegation(form, extra_validators=None) -> bool:
    """The head's checks, every started member row, then the number of members."""
    valid = RegistrationForm.validate(form, extra_validators)
    started = sum(1 for entry in form.members.entries if not entry.form.is_empty)
    if not started:
        form.form_errors.append(_l("Add at least one member to the delegation."))
    elif started > MAX_MEMBERS:
        form.form_errors.append(_l("A delegation can have at most %(number)d members.",
                                   number=MAX_MEMBERS))
    return valid and 0 < started <= MAX_MEMBERS


def _head_defaults() -> dict:
    from ..i18n import current_language

    return {"language": current_language(), "honorific": "", "delegation_role": "head"}


def members_data(form) -> tuple[list[dict], list[int]]:
    """The started member rows as the service's ``members_data``, and each one's row index."""
    members, rows = [], []
    for index, entry in enumerate(form.members.entries):
        member = entry.form
        if member.is_empty:
            continue
        data = {name: " ".join((member[name].data or "").split()) for name in (
            "honorific", "honorific_other", "given_name", "family_name", "delegation_role",
            "position", "language")}
        data["email"] = (member.email.data or "").strip().lower()
        if data["honorific"] != Honorific.OTHER:
            data["honorific_other"] = ""
        members.append(data)
        rows.append(index)
    return members, rows


def delegation_template_context(form) -> dict:
    """What templates/registration/_delegation_members.html needs besides ``form``: the
    empty row cloned by static/js/delegation.js (index ``__INDEX__``) and the row limit."""
    row = MemberForm(formdata=None, prefix="members-__INDEX__-")
    return {"row_template": SimpleNamespace(form=row), "max_members": MAX_MEMBERS}
