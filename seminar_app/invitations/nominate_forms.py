"""The forms of a mission's "Nominate your delegation" page (invitations.nominate_views).

The member's fields come from the one definition of a registration's input
(registration.form_fields.input_field: the same labels, checks and messages); the role is the
definition's ``delegation_role`` under the member's own name ``role``. The letter's content is
checked by services.registration.nomination_letters, the photo's by
services.registration.photos (the photo form is registration.photo_forms.PhotoForm).
"""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..forms import BaseForm
from ..models import NominationMember
from ..registration.form_fields import input_field


class NominationStartForm(BaseForm):
    """The focal point's own email address, asked once (prefilled with the invitee's)."""

    email = EmailField(_l("Your email"), validators=[
        DataRequired(message=_l("This field is required.")),
        Length(max=254, message=_l("Please use at most %(max)d characters."))],
        render_kw={"autocomplete": "email", "inputmode": "email"},
        description=_l("If this is not the address the invitation was sent to, the "
                       "organizers confirm the nomination first."))
    submit = SubmitField(_l("Start the nomination"))


class NominationMemberForm(BaseForm):
    """One nominated member."""

    honorific = input_field("honorific")
    honorific_other = input_field("honorific_other")
    given_name = input_field("given_name")
    family_name = input_field("family_name")
    email = input_field("email", help=_l("The member's own address: once accredited, their "
                                         "confirmation and personal link are sent there."))
    position = input_field("position")
    role = input_field("delegation_role")
    language = input_field("language")
    needs_visa = BooleanField(_l("Needs a visa invitation letter"),
                              description=_l("Passport details are asked of the member "
                                             "through their own link once accredited."))
    submit = SubmitField(_l("Add this member"))


def member_data(form: NominationMemberForm) -> dict:
    """The member's values as the service takes them."""
    return {name: form[name].data for name in (
        "honorific", "honorific_other", "given_name", "family_name", "email", "position",
        "role", "language", "needs_visa")}


def build_member_form(member: NominationMember | None = None, *, language: str = "en"
                      ) -> NominationMemberForm:
    """The form to add a member (empty) or change ``member`` (prefilled on GET)."""
    if member is None:
        return NominationMemberForm(data={"language": language, "role": "delegate"})
    form = NominationMemberForm(obj=member)
    form.submit.label.text = _l("Save the member")
    return form


class NominationLetterForm(BaseForm):
    """The nomination letter (note verbale) and its reference."""

    letter = FileField(_l("Nomination letter (note verbale), PDF"))
    reference = StringField(_l("The letter's reference (optional)"), validators=[
        Optional(), Length(max=100, message=_l("Please use at most %(max)d characters."))],
        description=_l("For example No. 123/2026/JKT"))
    submit = SubmitField(_l("Upload the letter"))


class NominationActionForm(BaseForm):
    """A button with its CSRF token: submit, withdraw the nomination or a member."""
