"""Forms of the mailing pages: message templates, composing a mailing, tests and retries."""

import secrets

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import Choice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import BaseForm
from ..models import MailingKind
from ..services.invitations.message_templates import BODY_MAX, SUBJECT_MAX
from ..services.registration.registration_labels import STATUS_LABELS

AUDIENCE_LABELS = {
    "all": _l("All invitees"),
    "group": _l("One group of invitees"),
    "not_invited": _l("Invitees who have not been invited yet"),
    "not_answered": _l("Invited, but not answered yet"),
    "registered": _l("Registered delegates"),
    "checked_in": _l("Delegates who checked in"),
    "confirmed": _l("All confirmed delegates"),
    "eligible": _l("Delegates who get a certificate (see the Certificates page)"),
}
KIND_LABELS = {
    MailingKind.INVITATION: _l("Invitation"),
    MailingKind.REMINDER: _l("Reminder"),
    MailingKind.ANNOUNCEMENT: _l("Announcement"),
    MailingKind.SURVEY: _l("Feedback survey"),
    MailingKind.CERTIFICATE: _l("Certificate of attendance"),
}


class MultiCheckboxField(SelectField):
    """Several choices as check boxes (rendered by render_field as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def pre_validate(self, form):
        values = {str(value) for value, *_ in self.choices}
        for value in self.data or ():
            if value not in values:
                raise ValueError(self.gettext("Not a valid choice."))

    def iter_choices(self):
        selected = set(self.data or ())
        for value, label, *_rest in self.choices:
            yield Choice(value=value, label=label, selected=value in selected, render_kw={})


def _subject():
    return StringField(_l("Subject"), validators=[
        DataRequired(message=_l("This field is required.")),
        Length(max=SUBJECT_MAX, message=_l("Use at most %(max)d characters."))])


def _body():
    return TextAreaField(_l("Message"), render_kw={"rows": 14}, validators=[
        DataRequired(message=_l("This field is required.")),
        Length(max=BODY_MAX, message=_l("Use at most %(max)d characters."))])


class TemplateForm(BaseForm):
    """Subject and body of one kind of mailing in English and Bahasa Indonesia."""

    subject_en = _subject()
    body_en = _body()
    subject_id = _subject()
    body_id = _body()

    def wording(self) -> dict:
        return {language: {"subject": self[f"subject_{language}"].data or "",
                           "body": self[f"body_{language}"].data or ""}
                for language in ("en", "id")}


class PreviewForm(BaseForm):
    """The GET choice of a person to preview (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    person = SelectField(_l("Preview for"), coerce=str, validate_choice=True,
                         validators=[Optional(strip_whitespace=False)])


class SendTestForm(BaseForm):
    """Send the email as the chosen person would get it to oneself."""

    person = IntegerField(_l("Person"), validators=[
        DataRequired(message=_l("Choose a person to preview first.")),
        NumberRange(min=1, max=2**31 - 1, message=_l("Choose a person to preview first."))])


def new_send_key() -> str:
    """A fresh random key for a compose form."""
    return secrets.token_urlsafe(24)


class ComposeForm(BaseForm):
    """Who receives a mailing; the wording comes from the event's templates."""

    audience = SelectField(_l("Recipients"), validate_choice=True, validators=[
        DataRequired(message=_l("Choose who receives this mailing."))])
    group = SelectField(_l("Group"), validate_choice=True,
                        validators=[Optional(strip_whitespace=False)])
    statuses = MultiCheckboxField(_l("Registration status"))
    include_answered = BooleanField(
        _l("Include those who have already answered (accepted, declined or registered)"))
    attach_calendar = BooleanField(_l("Attach the event to the email as a calendar file (.ics)"))
    scheduled_for = DateTimeLocalField(
        _l("Send at (optional)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[Optional()])
    send_key = HiddenField(validators=[
        DataRequired(message=_l("This form has expired. Please open it again.")),
        Regexp(r"^[A-Za-z0-9_-]{16,64}$",
               message=_l("This form has expired. Please open it again."))])

    def limit_choices(self, kind: MailingKind, audiences, groups, statuses) -> None:
        self.audience.choices = [(value, AUDIENCE_LABELS[value]) for value in audiences]
        self.group.choices = [("", _l("All groups"))] + [(group, group) for group in groups]
        self.statuses.choices = [(status.value, STATUS_LABELS[status]) for status in statuses]

    def audience_data(self) -> dict:
        return {"audience": self.audience.data or "", "group": self.group.data or "",
                "statuses": self.statuses.data or [],
                "include_answered": bool(self.include_answered.data)}


class ConfirmForm(ComposeForm):
    """The compose form again, from the confirmation page: "confirmed" and the number of
    recipients staff were shown; without them, the confirmation page is shown first."""

    confirmed = HiddenField()
    expected = IntegerField(validators=[Optional(), NumberRange(min=0, max=10**9)])

    def confirmed_count(self) -> int | None:
        """The number of recipients staff confirmed, or None when they have not yet."""
        if self.confirmed.data != "1" or self.expected.data is None:
            return None
        return self.expected.data


class CountForm(ComposeForm):
    """The compose form read from a GET, to count the audience (no CSRF: changes nothing)."""

    class Meta:
        csrf = False


class ScheduledEditForm(ComposeForm):
    """A scheduled mailing's recipients, time and wording, changed before it starts."""

    send_key = None
    scheduled_for = DateTimeLocalField(
        _l("Send at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired(message=_l("Please give a date and time."))])
    subject_en = _subject()
    body_en = _body()
    subject_id = _subject()
    body_id = _body()

    def wording(self) -> dict:
        return TemplateForm.wording(self)


class RescheduleForm(BaseForm):
    """A new time for a scheduled mailing, in the event's time zone."""

    scheduled_for = DateTimeLocalField(
        _l("Send at"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired(message=_l("Please give a date and time."))])


class MailingActionForm(BaseForm):
    """A button with only its CSRF token (retry failed)."""
