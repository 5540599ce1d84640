"""Forms of the accreditation pages (services.registration.accreditation): the members to
accredit, a reason (not accredited, returned), and bare confirmations (CSRF only)."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..forms import BaseForm
from ..services.registration.accreditation import REASON_MAX
from .forms import IdListField

_strip = [lambda value: value.strip() if isinstance(value, str) else value]


class AccreditForm(BaseForm):
    """The members ticked on a nomination's page (ids; anything not a number is dropped)."""

    members = IdListField()

    def validate_members(self, field):
        if not field.data:
            raise ValidationError(_l("Choose the members to accredit."))


class AccreditationReasonForm(BaseForm):
    """Why a member is not accredited, or why the nomination goes back to the focal point
    (told to the focal point; required)."""

    reason = TextAreaField(_l("Reason (sent to the focal point)"), filters=_strip, validators=[
        DataRequired(_l("Please give a reason.")),
        Length(max=REASON_MAX, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 3})


class ConfirmForm(BaseForm):
    """A confirmation with nothing to fill in (the CSRF token only)."""
