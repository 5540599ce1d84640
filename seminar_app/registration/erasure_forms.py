"""The delegate's form to ask for the erasure of their personal data."""

from flask_babel import lazy_gettext as _l
from wtforms import SubmitField

from ..forms import BaseForm


class ErasureRequestForm(BaseForm):
    """Confirm asking the organizers to erase one's personal data."""

    submit = SubmitField(_l("Yes, ask to erase my data"))
