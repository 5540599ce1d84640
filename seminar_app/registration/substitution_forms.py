"""The form giving the person who replaces a delegate (staff page, and the delegate's own link).

The fields are the registration's (services.registration.registration_input, through
registration.forms.RegistrationForm and its checks) without the country: the place belongs to
the country's delegation, so the substitute keeps the registration's country. There are no
extra questions: the new person answers them through their own personal link.
"""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import HiddenInput

from ..forms import BaseForm, country_select_choices
from ..i18n import current_language
from ..models import Registration
from .form_fields import length
from .forms import RegistrationForm


class SubstitutionForm(RegistrationForm):
    """The new delegate's details and their consent."""

    #: not shown: set to the registration's country (the phone is read for it)
    country = HiddenField()
    consent = BooleanField(
        _l("The new delegate agreed that the organizers process their personal data to run "
           "this event."),
        validators=[DataRequired(message=_l("Please confirm that the new delegate agreed."))])
    submit = SubmitField(_l("Replace this person"))


def build_substitution_form(registration: Registration, *, formdata=None) -> SubstitutionForm:
    """The empty form for the person who replaces ``registration``'s delegate (their role
    proposed); ``formdata=None`` reads the request's form when it was submitted."""
    data = {"language": current_language(), "honorific": "",
            "delegation_role": registration.delegation_role.value}
    options = {} if formdata is None else {"formdata": formdata}
    form = SubstitutionForm(data=data, **options)
    form.event = registration.event
    form.questions = []
    form.kept_passport = ""
    form.country.data = registration.country
    form.nationality.choices = country_select_choices()
    return form


class SubstitutionDecisionForm(BaseForm):
    """Approve or refuse a delegate's substitution request (a reason for a refusal).

    ``request_id`` names the request the organizer saw: if the delegate sent new details
    since, the decision is refused rather than applied to details nobody has read."""

    request_id = IntegerField(
        validators=[DataRequired(message=_l("The form expired. Please try again."))],
        widget=HiddenInput())
    reason = StringField(_l("Reason (told to the delegate)"),
                         validators=[Optional(), length(2000)])
