"""Forms of a delegation's registration: the head's full details (the event's registration
form, extra questions included) plus a list of member rows.

Member rows: a fixed number is rendered (``DEFAULT_ROWS``, or ``?rows=N`` up to
``MAX_MEMBERS`` without JavaScript); static/js/delegation.js adds rows by cloning a template
row. A row left entirely empty is ignored and shows no required marks (its fields become
required once the head starts filling it in); a started row is checked like a registration.
Each row also carries the member's optional needs and visa letter (with its passport details),
from the same definition as the single form. ``MemberAddForm`` is one such row on its own: the
head adds a member from their personal page.
"""

from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, FormField, StringField, SubmitField
from wtforms.validators import Optional

from ..forms import BaseForm, country_select_choices
from ..i18n import current_language
from ..models import Event, Honorific
from ..services.registration.delegations import MAX_MEMBERS
from ..services.registration.registration_input import (
    OTHER_HONORIFIC_MISSING,
    REQUIRED,
    VISA_FIELDS,
    InvalidInput,
    check_birth_date,
    check_passport_expiry,
)
from .form_fields import check_no_markup, input_field, length
from .forms import RegistrationForm, build_registration_form

DEFAULT_ROWS = 5
#: the fields of a member row that, when all empty, mean "no member here"
_ROW_FIELDS = ("given_name", "family_name", "email", "position", "honorific_other",
               "dietary", "accessibility", "passport_number", "birth_place")
#: a member row's fields (services.registration.registration_input), with what differs from the
# head's
_MEMBER_FIELDS = {
    "honorific": {"autocomplete": None},
    "honorific_other": {"help": None},
    "given_name": {"autocomplete": None},
    "family_name": {"autocomplete": None},
    "email": {"autocomplete": "off"},
    "delegation_role": {"required": False, "default": "delegate"},
    "position": {"autocomplete": None},
    "language": {"blank": _l("As the head of delegation")},
    "dietary": {},
    "accessibility": {},
    "needs_visa_letter": {},
    "passport_number": {},
    "nationality": {},
    "birth_date": {"autocomplete": None},
    "birth_place": {},
    "passport_expiry": {},
    "attendance": {"blank": _l("As the head of delegation")},
}
#: the optional needs of a member row, shown folded (services.registration.registration_input)
NEEDS_FIELDS = ("dietary", "accessibility", "needs_visa_letter", *VISA_FIELDS)


class _MemberFields(BaseForm):
    class Meta:
        csrf = False


for _name, _options in _MEMBER_FIELDS.items():
    setattr(_MemberFields, _name, input_field(_name, **_options))


class MemberForm(_MemberFields):
    """One member of a delegation (a sub-form: no CSRF token of its own)."""

    #: the event (for the passport's validity), set by the builders
    event: Event | None = None

    @property
    def is_empty(self) -> bool:
        """True when nothing was written in the row (its menus and box alone do not count)."""
        return not any((self[name].data or "").strip() for name in _ROW_FIELDS)

    @property
    def needs_open(self) -> bool:
        """True when the folded needs part has something in it (or an error) to show."""
        return any(self[name].data or self[name].errors for name in NEEDS_FIELDS)

    def validate(self, extra_validators=None) -> bool:
        if self.is_empty:
            return True
        valid = super().validate(extra_validators)
        if self.honorific.data == Honorific.OTHER and not (self.honorific_other.data or "").strip():
            self.honorific_other.errors.append(OTHER_HONORIFIC_MISSING)
        if self.needs_visa_letter.data:
            self._check_visa_fields()
        return valid and not any(field.errors for field in self)

    def _check_visa_fields(self) -> None:
        """With a visa letter, every passport field is required and the dates plausible (as
        registration.forms.RegistrationForm checks them)."""
        for name in VISA_FIELDS:
            field = self[name]
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


class MemberAddForm(MemberForm):
    """The head adds one member from their personal page (a form of its own, with CSRF)."""

    class Meta:
        csrf = True

    #: never "no member here": the head asked to add this one
    is_empty = False
    submit = SubmitField(_l("Add this member"))


class DelegationActionForm(BaseForm):
    """Remove a member or resend their link: a button and its CSRF token."""


def _country_choices() -> list:
    return country_select_choices()


def _prepare_member(member: MemberForm, event: Event | None, choices: list) -> MemberForm:
    member.event = event
    member.nationality.choices = choices
    return member


def build_member_add_form(event: Event, *, formdata=None) -> MemberAddForm:
    """The head's form to add one member (``formdata=None``: the request's form when sent)."""
    options = {} if formdata is None else {"formdata": formdata}
    form = MemberAddForm(prefix="member-", data={"delegation_role": "delegate"}, **options)
    return _prepare_member(form, event, _country_choices())


def member_add_data(form: MemberAddForm) -> dict:
    """The service's ``data`` of a validated add form (values as sent: the service cleans)."""
    return {name: form[name].data for name in _MEMBER_FIELDS}


def drop_required_marks(member: MemberForm) -> None:
    """An empty member row requires nothing yet: no required marks or attributes on it."""
    for field in member:
        field.flags.required = False


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
            _l("Name of the delegation"), validators=[Optional(), length(200),
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
    choices = _country_choices()
    for entry in form.members.entries:
        _prepare_member(entry.form, event, choices)
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
    return {"language": current_language(), "honorific": "", "delegation_role": "head"}


def members_data(form) -> tuple[list[dict], list[int]]:
    """The started member rows as the service's ``members_data`` (values as sent: the service
    cleans them), and each one's row index."""
    members, rows = [], []
    for index, entry in enumerate(form.members.entries):
        member = entry.form
        if member.is_empty:
            continue
        members.append({name: member[name].data for name in _MEMBER_FIELDS})
        rows.append(index)
    return members, rows


def delegation_template_context(form) -> dict:
    """What templates/registration/_delegation_members.html needs besides ``form``: the
    empty row cloned by static/js/delegation.js (index ``__INDEX__``) and the row limit."""
    row = _prepare_member(MemberForm(formdata=None, prefix="members-__INDEX__-"),
                          getattr(form, "event", None), _country_choices())
    drop_required_marks(row)
    for entry in form.members.entries:
        if entry.form.is_empty:
            drop_required_marks(entry.form)
    return {"row_template": SimpleNamespace(form=row), "max_members": MAX_MEMBERS}
