"""Forms of the invitee pages: one invitee, answers and bounces recorded by staff, the import.

The forms check the shape of the input (required, lengths, choices); what a valid invitee is
stays in ``services.invitations.invitations.check_invitee_values``, which the views reach through
the
service functions.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from ..forms import BaseForm, country_select_choices
from ..models import Honorific, InviteeKind, ResponseChannel
from ..registration.forms import (
    EMAIL_LANGUAGES,
    REQUIRED,
    TOO_LONG,
    LongSelect,
    check_country,
    check_no_markup,
)
from ..services.invitations.invitations import OFFLINE_CHANNELS
from ..services.invitations.invitee_import import ON_EXISTING
from ..services.registration.registration_labels import HONORIFIC_LABELS

CHANNEL_LABELS = {
    ResponseChannel.ONLINE: _l("Through the personal link"),
    ResponseChannel.NOTE_VERBALE: _l("Note verbale"),
    ResponseChannel.LETTER: _l("Letter"),
    ResponseChannel.EMAIL: _l("Email"),
    ResponseChannel.PHONE: _l("Phone"),
    ResponseChannel.IN_PERSON: _l("In person"),
}
ANSWER_LABELS = {"accepted": _l("Accepted"), "declined": _l("Declined")}
_strip = [lambda value: value.strip() if isinstance(value, str) else value]


def _length(maximum: int) -> Length:
    return Length(max=maximum, message=TOO_LONG)


class InviteeForm(BaseForm):
    """One invitee's details."""

    kind = RadioField(
        _l("Invited as"), default=InviteeKind.PERSON.value,
        choices=[SelectChoice(InviteeKind.PERSON.value, _l("A person")),
                 SelectChoice(InviteeKind.ORGANISATION.value,
                              _l("An organisation (embassy, mission, ministry, agency): its "
                                 "focal point nominates the delegation"))],
        validate_choice=False,
        description=_l("For an organisation, the name and email below are the focal point's, "
                       "and the country is required."))
    honorific = SelectField(
        _l("Form of address"),
        choices=[SelectChoice("", _l("— none —")),
                 *(SelectChoice(h.value, label) for h, label in HONORIFIC_LABELS.items())],
        validate_choice=False)
    honorific_other = StringField(_l("Other form of address"), filters=_strip,
                                  validators=[Optional(), _length(40), check_no_markup],
                                  description=_l("For example Hon. or Sen."))
    name = StringField(_l("Name"), filters=_strip,
                       validators=[DataRequired(message=REQUIRED), _length(200),
                                   check_no_markup],
                       description=_l("As the invitation addresses the person, e.g. Retno "
                                      "Marsudi"))
    email = EmailField(_l("Email"), filters=_strip,
                       validators=[DataRequired(message=REQUIRED), _length(254)],
                       render_kw={"inputmode": "email"})
    country = SelectField(_l("Country"), choices=[], validate_choice=False, widget=LongSelect(),
                          validators=[Optional(), _length(2), check_country])
    organisation = StringField(_l("Organisation"), filters=_strip,
                               validators=[Optional(), _length(200), check_no_markup])
    position = StringField(_l("Position"), filters=_strip,
                           validators=[Optional(), _length(200), check_no_markup])
    language = SelectField(_l("Language for emails"),
                           choices=[SelectChoice(*pair) for pair in EMAIL_LANGUAGES],
                           validate_choice=False)
    group_name = StringField(_l("Group"), filters=_strip,
                             validators=[Optional(), _length(100), check_no_markup],
                             description=_l("Any grouping you like, e.g. ASEAN, Embassies, "
                                            "Speakers"),
                             render_kw={"list": "invitee-groups", "autocomplete": "off"})
    note = TextAreaField(_l("Staff note (never shown to the invitee)"),
                         validators=[Optional(), _length(2000)], render_kw={"rows": 2})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_select_choices()

    def validate_honorific(self, field) -> None:
        if field.data and field.data not in {h.value for h in Honorific}:
            raise ValidationError(_l("Choose a form of address from the list."))

    def validate_language(self, field) -> None:
        if field.data not in dict(EMAIL_LANGUAGES):
            raise ValidationError(_l("Choose a language from the list."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.honorific.data == Honorific.OTHER and not self.honorific_other.data:
            self.honorific_other.errors.append(_l("Please write the form of address."))
            valid = False
        return valid

    def service_data(self) -> dict:
        """What services.invitations.invitations.add_invitee / update_invitee take."""
        return {name: self[name].data for name in (
            "kind", "honorific", "honorific_other", "name", "email", "country", "organisation",
            "position", "language", "group_name", "note")}


class ResponseForm(BaseForm):
    """An answer that reached staff outside the system."""

    response = RadioField(_l("Answer"),
                          choices=[SelectChoice(*pair) for pair in ANSWER_LABELS.items()],
                          validators=[InputRequired(message=REQUIRED)])
    channel = SelectField(_l("How it reached you"),
                          choices=[SelectChoice(c.value, CHANNEL_LABELS[c])
                                   for c in OFFLINE_CHANNELS],
                          validators=[InputRequired(message=REQUIRED)])
    answered_on = DateField(_l("Date of the answer"),
                            validators=[InputRequired(message=REQUIRED)])
    note = TextAreaField(_l("Note (e.g. the number of the note verbale)"),
                         validators=[Optional(), _length(2000)], render_kw={"rows": 2})


class LinkRegistrationForm(BaseForm):
    """Link the invitation to a registration the invitee made on their own."""

    lookup = StringField(_l("Registration reference or email"), filters=_strip,
                         validators=[DataRequired(message=REQUIRED), _length(254)])


class BounceForm(BaseForm):
    """Record that mail to the invitee bounces."""

    reason = TextAreaField(_l("Reason (e.g. the bounce message)"),
                           validators=[Optional(), _length(2000)], render_kw={"rows": 2})


class ImportUploadForm(BaseForm):
    """The CSV or XLSX file to import."""

    file = FileField(_l("CSV or Excel file"),
                     render_kw={"accept": ".csv,.tsv,.txt,.xlsx,text/csv,application/"
                                          "vnd.openxmlformats-officedocument.spreadsheetml."
                                          "sheet"})


class ImportConfirmForm(BaseForm):
    """Import the previewed file."""

    file = IntegerField(widget=HiddenInput(), validators=[InputRequired(message=REQUIRED)])
    on_existing = RadioField(_l("Invitees already on the list (same email)"),
                             choices=[SelectChoice(*pair) for pair in ON_EXISTING.items()],
                             default="skip",
                             validators=[InputRequired(message=REQUIRED)])
    group_name = StringField(_l("Group for every imported invitee (optional)"), filters=_strip,
                             validators=[Optional(), _length(100), check_no_markup],
                             description=_l("Replaces the group column of the file."),
                             render_kw={"list": "invitee-groups", "autocomplete": "off"})


class ImportDiscardForm(BaseForm):
    """Forget the previewed file."""

    file = IntegerField(widget=HiddenInput(), validators=[InputRequired(message=REQUIRED)])
