"""Forms of the email pages: the list filter and the bulk retry."""

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from ..forms import BaseForm
from ..models import OutboxStatus

STATUS_LABELS = {
    OutboxStatus.QUEUED: _l("Waiting"),
    OutboxStatus.SENDING: _l("Sending"),
    OutboxStatus.SENT: _l("Sent"),
    OutboxStatus.FAILED: _l("Failed"),
}


class EmailFilterForm(BaseForm):
    """The GET filter above the email list (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("All"))]
        + [SelectChoice(key.value, label) for key, label in STATUS_LABELS.items()],
        validators=[Optional(strip_whitespace=False)],
        validate_choice=True,
    )
    q = StringField(_l("Recipient"), validators=[
        Optional(), Length(max=254, message=_l("At most %(max)d characters."))])
    event_id = SelectField(_l("Event"), coerce=str, validators=[Optional(strip_whitespace=False)],
                           validate_choice=True)


class EmailRetryFailedForm(BaseForm):
    """Send every failed email again: of one event, or of all (administrators)."""

    event_id = IntegerField(_l("Event"), validators=[
        Optional(), NumberRange(min=1, message=_l("Choose an event."))])


class EmailActionForm(BaseForm):
    """A button that changes something (retry one email, send a test): CSRF only."""
