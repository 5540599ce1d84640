"""Forms of the documents pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from ..forms import BaseForm
from ..services.events.document_settings import SIGNATORY_MAX_LENGTH


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DocumentSettingsEditForm(BaseForm):
    """The letterhead and the signatory of the event's visa invitation letters."""

    signatory_name = StringField(_l("Signatory's name"), filters=[_strip], validators=[
        Length(max=SIGNATORY_MAX_LENGTH, message=_l("At most %(max)d characters."))])
    signatory_title = StringField(_l("Signatory's title"), filters=[_strip], validators=[
        Length(max=SIGNATORY_MAX_LENGTH, message=_l("At most %(max)d characters."))],
        description=_l("For example: Director of Technical Cooperation"))
    letterhead = FileField(_l("Letterhead"), description=_l(
        "A wide PNG, JPEG, GIF or WebP image, at most 2 MB, printed across the top of every "
        "letter. No SVG."), render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp"})
    remove_letterhead = BooleanField(_l("Remove the current letterhead"))
