"""The form of the Certificates page (an event's certificates of attendance)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..forms import BaseForm
from ..services.registration.certificates import SCOPE_LABELS, SIGNATORY_MAX, WORDING_MAX


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _text(label, limit: int, description=None):
    return StringField(label, filters=[_strip], description=description, validators=[
        Length(max=limit, message=_l("At most %(max)d characters."))])


class CertificateSettingsForm(BaseForm):
    """On or off, who receives a certificate, who signs it, an optional line per language."""

    enabled = BooleanField(_l("Issue certificates of attendance"), description=_l(
        "Delegates can download theirs from their personal page once the event has ended."))
    scope = RadioField(_l("Who receives a certificate"),
                       choices=[SelectChoice(scope.value, label)
                                for scope, label in SCOPE_LABELS.items()],
                       validators=[InputRequired(message=_l("Choose who receives a "
                                                            "certificate."))])
    signatory_name = _text(_l("Signatory's name"), SIGNATORY_MAX, _l(
        "Leave empty to use the signatory of the letters (Documents page)."))
    signatory_title = _text(_l("Signatory's title"), SIGNATORY_MAX)
    wording_en = _text(_l("Additional line in English (optional)"), WORDING_MAX, _l(
        "Printed under the event, e.g. \"in recognition of active participation\"."))
    wording_id = _text(_l("Additional line in Bahasa Indonesia (optional)"), WORDING_MAX)
