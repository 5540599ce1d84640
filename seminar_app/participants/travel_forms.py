"""Forms of the "Travel & hotels" page: the event's travel setting and its hotels."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField, IntegerField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..forms import BaseForm
from ..registration.travel_forms import plausible_day
from ..services.travel.settings import ADDRESS_MAX, BLOCK_MAX, NAME_MAX

SETTING_LABELS = {
    "off": _l("Off: delegates are not asked"),
    "optional": _l("Optional: delegates may give their travel and accommodation"),
    "required": _l("Required: the personal page asks for it prominently and staff see who "
                   "is missing it (registration is not blocked)"),
}
LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
_strip = [lambda value: value.strip() if isinstance(value, str) else value]
_DATE_MESSAGE = _l("Please give a date such as 2026-03-17.")


class TravelSettingsForm(BaseForm):
    """Whether the event collects travel, and until when delegates may change it."""

    mode = RadioField(_l("Travel and accommodation"),
                      choices=[SelectChoice(key, label) for key, label in SETTING_LABELS.items()],
                      validators=[InputRequired(_l("Please choose one of the options."))])
    change_cutoff_at = DateTimeLocalField(
        _l("Delegates may change their travel until (event's local time; empty: until the "
           "event ends)"), validators=[Optional(), plausible_day], format=LOCAL_FORMATS)


class HotelForm(BaseForm):
    """A hotel and its block of rooms."""

    name = StringField(_l("Hotel name"), filters=_strip,
                       validators=[InputRequired(_l("This field is required.")),
                                   Length(max=NAME_MAX,
                                          message=_l("At most %(max)d characters."))],
                       render_kw={"maxlength": NAME_MAX})
    address = StringField(_l("Address"), filters=_strip,
                          validators=[Length(max=ADDRESS_MAX,
                                             message=_l("At most %(max)d characters."))],
                          render_kw={"maxlength": ADDRESS_MAX})
    block_size = IntegerField(
        _l("Rooms in the block (per night)"),
        validators=[InputRequired(_l("This field is required.")),
                    NumberRange(min=0, max=BLOCK_MAX,
                                message=_l("Give a whole number from 0 to %(max)d.",
                                           max=BLOCK_MAX))],
        render_kw={"min": 0, "max": BLOCK_MAX})
    block_from = DateField(_l("First night of the block"),
                           validators=[InputRequired(_l("Please give the date.")),
                                       plausible_day],
                           invalid_value_message=_DATE_MESSAGE)
    block_to = DateField(_l("Block ends on (check-out day of the last night)"),
                         validators=[InputRequired(_l("Please give the date.")),
                                     plausible_day],
                         invalid_value_message=_DATE_MESSAGE)

    def hotel_values(self) -> dict:
        return {name: self[name].data for name in
                ("name", "address", "block_size", "block_from", "block_to")}


class ActionForm(BaseForm):
    """A button that changes something (an export, a removal): only the CSRF token."""
