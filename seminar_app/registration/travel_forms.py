"""The travel form: arrival, departure and accommodation of one registration. The same form
serves the delegate's personal link, the head of a delegation, the focal point and staff;
services.travel.plans checks the rules."""

from datetime import UTC
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from ..forms import BaseForm
from ..models import Event, Hotel, TravelPlan
from ..services.travel.plans import (
    LODGING_LABELS,
    MODE_LABELS,
    NUMBER_MAX,
    PLACE_MAX,
    SHARE_MAX,
    local_to_utc,
)

_TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
#: a service error's field -> the form field that shows it
FIELD_OF = {"arrival_at": "arrival_date", "departure_at": "departure_date"}
_strip = [lambda value: value.strip() if isinstance(value, str) else value]


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def _max(limit: int) -> Length:
    return Length(max=limit, message=_l("At most %(max)d characters."))


#: dates outside these years are typing mistakes (and some cannot be shifted between zones)
YEAR_MIN, YEAR_MAX = 2000, 2100


def plausible_day(form, field):
    """A date (or date and time) between the years 2000 and 2100."""
    if field.data is not None and not YEAR_MIN <= field.data.year <= YEAR_MAX:
        raise ValidationError(_l("Please give a date such as 2026-03-17."))


def _both(day_name: str):
    """The date and the time of a leg are given together."""
    def check(form, field):
        if bool(form[day_name].data) != bool(field.data):
            raise ValidationError(_l("Give both the date and the time."))
    return check


def _leg(prefix: str, label):
    return {
        f"{prefix}_date": DateField(
            label, validators=[Optional(), plausible_day],
            invalid_value_message=_l("Please give a date such as 2026-03-17.")),
        f"{prefix}_time": TimeField(
            _l("Time (local time of the event)"), format=_TIME_FORMATS,
            validators=[_both(f"{prefix}_date")],
            invalid_value_message=_l("Please give a time such as 09:30.")),
        f"{prefix}_mode": SelectField(
            _l("By"), choices=_choices({"": "—", **MODE_LABELS}), validators=[Optional()]),
        f"{prefix}_number": StringField(
            _l("Flight or train number"), filters=_strip, validators=[_max(NUMBER_MAX)],
            render_kw={"maxlength": NUMBER_MAX, "autocapitalize": "characters"}),
        f"{prefix}_place": StringField(
            _l("Airport (IATA code, e.g. CGK) or station"), filters=_strip,
            validators=[_max(PLACE_MAX)], render_kw={"maxlength": PLACE_MAX}),
    }


class TravelPlanForm(BaseForm):
    """Arrival, departure and accommodation (hotel choices set by ``build_travel_form``)."""

    locals().update(_leg("arrival", _l("Arrival date")))
    arrival_pickup = BooleanField(_l("I need to be picked up on arrival"))
    locals().update(_leg("departure", _l("Departure date")))
    departure_pickup = BooleanField(_l("I need transport to the airport or station"))
    lodging = RadioField(_l("Accommodation"), choices=_choices(LODGING_LABELS),
                         validators=[Optional()])
    hotel_id = SelectField(_l("Hotel"), coerce=int, validators=[Optional()])
    check_in = DateField(_l("Check-in"), validators=[Optional(), plausible_day],
                         invalid_value_message=_l("Please give a date such as 2026-03-17."))
    check_out = DateField(_l("Check-out"), validators=[Optional(), plausible_day],
                          invalid_value_message=_l("Please give a date such as 2026-03-17."))
    share_with = StringField(
        _l("Share a room with (their email or reference)"), filters=_strip,
        validators=[_max(SHARE_MAX)], render_kw={"maxlength": SHARE_MAX})

    def plan_values(self, event: Event) -> dict:
        """The values for services.travel.plans.set_travel_plan."""
        values = {}
        for leg in ("arrival", "departure"):
            values[f"{leg}_at"] = local_to_utc(self[f"{leg}_date"].data,
                                               self[f"{leg}_time"].data, event.timezone)
            for key in ("mode", "number", "place", "pickup"):
                values[f"{leg}_{key}"] = self[f"{leg}_{key}"].data
        values.update(lodging=self.lodging.data or "", hotel_id=self.hotel_id.data or None,
                      check_in=self.check_in.data, check_out=self.check_out.data,
                      share_with=self.share_with.data or "")
        return values


def _initial(plan: TravelPlan | None, event: Event) -> dict:
    if plan is None:
        return {}
    zone = ZoneInfo(event.timezone)
    data = {}
    for leg in ("arrival", "departure"):
        moment = getattr(plan, f"{leg}_at")
        local = moment.astimezone(UTC).astimezone(zone) if moment else None
        data.update({f"{leg}_date": local.date() if local else None,
                     f"{leg}_time": local.time().replace(second=0, microsecond=0)
                     if local else None})
        for key in ("mode", "number", "place", "pickup"):
            data[f"{leg}_{key}"] = getattr(plan, f"{leg}_{key}")
    data.update(lodging=plan.lodging or None, hotel_id=plan.hotel_id,
                check_in=plan.check_in, check_out=plan.check_out,
                share_with=plan.share_with.reference if plan.share_with else "")
    return data


def build_travel_form(event: Event, hotels: list[Hotel], plan: TravelPlan | None,
                      *, for_delegate: bool = True) -> TravelPlanForm:
    """The travel form of ``event``, filled with ``plan`` (a GET) or the posted values."""
    form = TravelPlanForm(data=_initial(plan, event))
    form.hotel_id.choices = _choices({0: "—", **{hotel.id: hotel.name for hotel in hotels}})
    if not for_delegate:
        form.arrival_pickup.label.text = _l("Needs to be picked up on arrival")
        form.departure_pickup.label.text = _l("Needs transport to the airport or station")
        form.lodging.choices = _choices({"hotel": _l("One of the organizer's hotels"),
                                         "own": _l("Own arrangements")})
    return form
