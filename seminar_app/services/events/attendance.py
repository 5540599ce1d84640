"""In person, online or hybrid: how an event is attended, how each delegate attends, and who
may see the event's private join link (issue 16). Every screen, email, calendar file, export
and API endpoint asks these functions; none decides on its own.

Rules:
- An event's mode is ``Event.attendance_mode`` (in person, online or hybrid). An online or a
  hybrid event needs its online link (``Event.online_url``, THE join link); an in-person or a
  hybrid event needs a venue (a venue name, address or city).
- Events made before the setting existed are "in person" by default. One of them that has no
  venue but an online link was in fact an online event: ``event_mode`` reads it as ONLINE and
  ``check_attendance_settings`` stores ONLINE when such values are saved (no migration; the
  event form opens on "Online" for it). An in-person event with neither venue nor link is
  refused.
- A registration records how the delegate attends: "in_person" or "online". Only a hybrid
  event asks (the choice is required); an online event stores "online", an in-person one
  "in_person", whatever is sent (a different value is refused). When an event's mode changes
  later, ``attends_online`` follows the event: a hybrid event's delegates keep their choice,
  the others attend as the event is held.
- Online delegates need no visa letter: asking for one with online attendance is refused
  (services.registration.registration_input).
- The join link is private. It is never on the public event page, the public listing, the
  public .ics or any public endpoint. ``join_link`` gives it only to a CONFIRMED delegate who
  attends online (an online event, or a hybrid one with "online" chosen): their personal page,
  their confirmation / approval / promotion emails and the .ics attached to them. Waitlisted,
  pending, cancelled, rejected delegates and in-person delegates of a hybrid event do not get
  it. Staff of the event see and edit it on the staff pages and through the token API.
- Badges are printed for every delegate; those attending online are marked "Online" (they
  may still pick a badge up). The check-in desk lists everyone.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...extensions import db
from ...models import AttendanceMode, Event, Registration, RegistrationStatus

IN_PERSON, ONLINE, HYBRID = AttendanceMode.IN_PERSON, AttendanceMode.ONLINE, AttendanceMode.HYBRID
#: the event setting's choices, in the form's order
MODE_LABELS = {
    IN_PERSON: _l("In person"),
    ONLINE: _l("Online"),
    HYBRID: _l("Hybrid: in person and online"),
}
#: how a delegate attends (a registration's value)
ATTENDANCE_LABELS = {
    IN_PERSON.value: _l("In person"),
    ONLINE.value: _l("Online"),
}
ATTENDANCE_VALUES = tuple(ATTENDANCE_LABELS)
#: where the choice is asked
CHOICE_LABEL = _l("How will you attend?")
CHOICE_MISSING = _l("Please choose how you will attend: in person or online.")
NOT_FOR_THIS_EVENT = {
    IN_PERSON: _l("This event is held in person only."),
    ONLINE: _l("This event is held online only."),
}
NO_VISA_ONLINE = _l("Delegates attending online need no visa invitation letter.")
NEEDS_LINK = _l("An online or hybrid event needs its online link.")
NEEDS_VENUE = _l("An in-person or hybrid event needs a venue (name, address or city).")
UNKNOWN_MODE = _l("Choose in person, online or hybrid.")
#: in person, with neither a venue nor a link
NEEDS_PLACE = _l("Give a venue or an online link (or both).")


def has_venue(values) -> bool:
    """True when a venue name, address or city is given (a dict of values or an Event)."""
    get = values.get if isinstance(values, dict) else lambda key: getattr(values, key, "")
    return any((get(key) or "").strip() for key in ("venue_name", "venue_address", "venue_city"))


def _mode_of(stored, venue: bool, link: bool) -> AttendanceMode:
    try:
        mode = AttendanceMode(stored or IN_PERSON)
    except ValueError:
        mode = IN_PERSON
    if mode == IN_PERSON and not venue and link:  # made before the setting: an online event
        return ONLINE
    return mode


def event_mode(event: Event) -> AttendanceMode:
    """How ``event`` is held (see the module's rules for events made before the setting)."""
    return _mode_of(event.attendance_mode, has_venue(event), bool(event.online_url))


def is_hybrid(event: Event) -> bool:
    """True when delegates choose between in person and online (the registration asks)."""
    return event_mode(event) == HYBRID


def check_attendance_settings(values: dict) -> tuple[str, object] | None:
    """Check and normalise ``values["attendance_mode"]`` against the venue and the link.

    Returns ``(field, message)`` of the first problem, or None (and stores the mode to keep,
    ONLINE for an "in person" event with only a link)."""
    given = values.get("attendance_mode") or IN_PERSON.value
    if given not in {mode.value for mode in AttendanceMode}:
        return "attendance_mode", UNKNOWN_MODE
    venue, link = has_venue(values), bool(values.get("online_url"))
    mode = _mode_of(given, venue, link)
    if mode == IN_PERSON and not venue and not link:
        return "venue_name", NEEDS_PLACE
    if mode in (ONLINE, HYBRID) and not link:
        return "online_url", NEEDS_LINK
    if mode in (IN_PERSON, HYBRID) and not venue:
        return "venue_name", NEEDS_VENUE
    values["attendance_mode"] = mode.value
    return None


def registration_attendance(event: Event, given, stored: str | None = None) -> str:
    """The attendance to store for a registration of ``event`` given ``given``.

    Raises ValueError with the message to show: a hybrid event needs a choice; another event
    refuses a value other than its own mode (a value equal to ``stored`` passes: it predates
    a change of the event's mode)."""
    mode = event_mode(event)
    value = str(given or "").strip()
    if mode == HYBRID:
        if value not in ATTENDANCE_VALUES:
            raise ValueError(str(CHOICE_MISSING))
        return value
    if value and value != mode.value and value != stored:
        raise ValueError(str(NOT_FOR_THIS_EVENT[mode]))
    return mode.value


def attends_online(registration: Registration) -> bool:
    """True when the delegate takes part online (an online event, or online at a hybrid one)."""
    mode = event_mode(registration.event)
    if mode == HYBRID:
        return registration.attendance == ONLINE.value
    return mode == ONLINE


def attendance_label(registration: Registration) -> str:
    """"In person" or "Online" for the delegate, in the current language."""
    return str(ATTENDANCE_LABELS[ONLINE.value if attends_online(registration)
                                 else IN_PERSON.value])


def join_link(registration: Registration | None) -> str:
    """The event's join link for this delegate, or "" when they may not have it: only a
    CONFIRMED delegate attending online gets it."""
    if registration is None or registration.status != RegistrationStatus.CONFIRMED:
        return ""
    event = registration.event
    if not event.online_url or not attends_online(registration):
        return ""
    return event.online_url


def confirmed_online_registrations(event: Event) -> list[Registration]:
    """The confirmed delegates of ``event`` who attend online (they are told of a new link)."""
    mode = event_mode(event)
    if mode == IN_PERSON:
        return []
    query = select(Registration).where(Registration.event_id == event.id,
                                       Registration.status == RegistrationStatus.CONFIRMED)
    if mode == HYBRID:
        query = query.where(Registration.attendance == ONLINE.value)
    return list(db.session.scalars(query.order_by(Registration.id)))


def public_place(event: Event) -> str:
    """What visitors read about taking part online: "online" or "hybrid" (or "" in person);
    the public page words it, never with the link."""
    mode = event_mode(event)
    return "" if mode == IN_PERSON else mode.value


def register_template_helpers(app) -> None:
    """``join_link(registration)``, ``attendance_label(registration)``,
    ``attends_online(registration)`` and ``public_place(event)`` for every template (emails
    too): templates get the answer, never decide."""
    app.add_template_global(join_link, "join_link")
    app.add_template_global(attendance_label, "attendance_label")
    app.add_template_global(attends_online, "attends_online")
    app.add_template_global(public_place, "public_place")
    app.add_template_global(is_hybrid, "is_hybrid_event")
