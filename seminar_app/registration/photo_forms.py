"""The photo upload form (a delegate's personal link and the staff registration page).

The file is checked by services.registration.photos (content, size, polyglots); the four hidden
fields carry the crop box chosen in static/js/photo_crop.js (empty without JavaScript: the
centred crop). The templates write the inputs themselves, with these names.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import HiddenField, SubmitField

from ..forms import BaseForm


class PhotoForm(BaseForm):
    """Upload (or replace) a photo, with an optional crop box in source pixels."""

    photo = FileField(_l("Photo"))
    crop_x = HiddenField()
    crop_y = HiddenField()
    crop_width = HiddenField()
    crop_height = HiddenField()


class PhotoRemoveForm(BaseForm):
    """Delete the current photo."""

    submit = SubmitField(_l("Remove the photo"))
