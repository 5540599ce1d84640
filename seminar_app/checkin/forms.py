"""Forms of the check-in desk: a badge code, a name search, and the CSRF-only action buttons."""

from flask_babel import lazy_gettext as _l
from wtforms import SearchField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..forms import BaseForm

#: letters, digits, hyphens, spaces: badge codes ("K7M2Q9PXA3B4C5D6"), references ("K7M2-Q9PX")
CODE_PATTERN = r"^[A-Za-z0-9\-\s]*$"


class CheckInCodeForm(BaseForm):
    """The code read from a badge's QR code, or typed from under it."""

    code = StringField(
        _l("Badge code or reference"),
        validators=[
            DataRequired(message=_l("Enter the code printed on the badge.")),
            Length(max=64, message=_l("A badge code has at most %(max)d characters.")),
            Regexp(CODE_PATTERN, message=_l("A badge code has only letters, digits and hyphens.")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "maxlength": 64},
    )


class CheckInSearchForm(BaseForm):
    """Find a delegate by name, organisation or reference (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    q = SearchField(
        _l("Name, organisation or reference"),
        validators=[
            Optional(),
            Length(max=100, message=_l("Search for at most %(max)d characters.")),
        ],
        render_kw={"autocomplete": "off", "maxlength": 100},
    )


class CheckInActionForm(BaseForm):
    """The CSRF token of a "Check in" or "Undo check-in" button."""
