"""The demo forum's travel: travel details optional until three days before the forum, two
hotels with room blocks, and the arrivals of the first delegations (flights into Jakarta the
day before, pick-up for most), so that the arrivals board, the rooming list and the dashboard
have something to show."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ...extensions import db
from ...models import Event, Registration, RegistrationStatus
from .plans import PLAN_FIELDS, set_travel_plan
from .settings import add_hotel, set_travel_settings

#: (name, address, rooms per night)
DEMO_HOTELS = (
    ("Hotel Pejambon (demo)", "Jl. Pejambon No. 1, Jakarta Pusat", 40),
    ("Wisma Diplomat (demo)", "Jl. Medan Merdeka Timur No. 5, Jakarta Pusat", 12),
)
#: (arrival hour, flight, from airport, pick-up) for the first delegates, in order
DEMO_ARRIVALS = (
    ("07:35", "GA 821", "CGK", True), ("09:10", "SQ 952", "CGK", True),
    ("09:10", "SQ 952", "CGK", False), ("11:45", "TR 278", "CGK", True),
    ("14:20", "MH 711", "CGK", True), ("14:20", "MH 711", "CGK", True),
    ("16:05", "QZ 205", "CGK", False), ("19:30", "EK 356", "CGK", True),
    ("21:15", "TG 433", "CGK", True), ("08:40", "JT 32", "HLP", True),
)


def write_demo_travel(event: Event) -> None:
    """Give ``event`` its demo travel setting, hotels and arrivals (each step commits, as an
    organizer's would)."""
    zone = ZoneInfo(event.timezone)
    first_day = event.start_at.astimezone(zone).date()
    last_day = event.end_at.astimezone(zone).date()
    set_travel_settings(event, mode="optional",
                        change_cutoff_at=event.start_at - timedelta(days=3))
    hotels = [add_hotel(event, {"name": name, "address": address, "block_size": size,
                                "block_from": first_day - timedelta(days=1),
                                "block_to": last_day + timedelta(days=1)})
              for name, address, size in DEMO_HOTELS]
    delegates = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id,
                                   Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(Registration.id).limit(len(DEMO_ARRIVALS))).all()
    arrival_day, departure_day = first_day - timedelta(days=1), last_day + timedelta(days=1)
    for number, (registration, (hour, flight, airport, pickup)) in enumerate(
            zip(delegates, DEMO_ARRIVALS, strict=False)):
        arrival = datetime.combine(arrival_day, time.fromisoformat(hour), zone)
        values = dict.fromkeys(PLAN_FIELDS)
        values.update(
            arrival_at=arrival, arrival_mode="flight", arrival_number=flight,
            arrival_place=airport, arrival_pickup=pickup,
            departure_at=datetime.combine(departure_day, time(13, 0), zone),
            departure_mode="flight", departure_number="", departure_place="CGK",
            departure_pickup=pickup, lodging="hotel", hotel_id=hotels[number % 2].id,
            check_in=arrival_day, check_out=departure_day, share_with="")
        set_travel_plan(registration, values, by="staff")
