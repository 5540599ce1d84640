"""Forms of the invitation page: declining, opening one's registration, and the registration
form prefilled with what the invitation knows about the invitee."""

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from ..forms import BaseForm
from ..models import Invitee
from ..services.invitations.rsvp import DECLINE_REASON_MAX


def _no_markup(form, field) -> None:
    if "<" in (field.data or "") or ">" in (field.data or ""):
        raise ValidationError(_l("Please do not use angle brackets here."))


class DeclineForm(BaseForm):
    """Decline the invitation, with an optional reason."""

    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=DECLINE_REASON_MAX,
                                       message=_l("Please use at most %(max)d characters.")),
                    _no_markup],
        description=_l("For example another commitment on these dates. The organizers read "
                       "it; it is not published."),
        render_kw={"rows": 3, "maxlength": DECLINE_REASON_MAX})
    submit = SubmitField(_l("Decline the invitation"))


class OpenRegistrationForm(BaseForm):
    """Ask for a fresh personal link to the registration made through the invitation."""

    submit = SubmitField(_l("Open my registration"))


def split_name(name: str) -> tuple[str, str]:
    """(given, family) from the invitation's name, split on the last space.

    A single name goes to the family name (as in passports that carry one name only); the
    delegate then fills in the given name the form asks for.
    """
    given, _space, family = (name or "").strip().rpartition(" ")
    return given.strip(), family.strip()


def prefill(form, invitee: Invitee) -> None:
    """Fill a fresh registration form with what we know about ``invitee``."""
    given, family = split_name(invitee.name)
    form.honorific.data = invitee.honorific.value if invitee.honorific else ""
    form.honorific_other.data = invitee.honorific_other or ""
    form.given_name.data = given
    form.family_name.data = family
    form.email.data = invitee.email
    form.country.data = invitee.country or ""
    form.organisation.data = invitee.organisation or ""
    form.position.data = invitee.position or ""
    form.language.data = invitee.language or form.language.data
