"""Forms of the personal-data actions on one registration (services.privacy.retention)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import InputRequired, Length, ValidationError

from ..forms import BaseForm


class RegistrationEraseForm(BaseForm):
    """Confirm erasing a delegate's personal data by typing the registration's reference."""

    reference = StringField(
        _l("Type the registration's reference to confirm"),
        filters=[lambda value: value.strip().upper() if isinstance(value, str) else value],
        validators=[InputRequired(_l("Type the reference to confirm.")),
                    Length(max=20, message=_l("At most %(max)d characters."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"})

    #: the reference that must be typed (set by the view)
    expected: str = ""

    def validate_reference(self, field):
        if field.data != self.expected.upper():
            raise ValidationError(_l("This is not the reference of this registration."))
