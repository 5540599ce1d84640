"""Check-in at the venue: marking a delegate's arrival, undoing it, counting and finding arrivals.

The first check-in wins: the arrival time is written by one conditional UPDATE
(``... WHERE checked_in_at IS NULL``), so two desks scanning the same badge at once record one
time; the second answer reads the stored time back and says "already checked in". Only
CONFIRMED registrations can be checked in. Codes and ids are always looked up within one event,
so a badge of another event is simply "not found".
"""

import base64
import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select, update

from ...database import use_case
from ...extensions import db
from ...i18n import country_name
from ...models import Event, Registration, RegistrationStatus, Upload, User, utcnow
from ..access import Permission, has_permission
from ..audit import record_action
from ..errors import Conflict, NotFound, PermissionDenied, ServiceError
from .registration_labels import display_name, role_label

log = logging.getLogger(__name__)

#: longest code accepted: badge codes have 16 characters, references 9
MAX_CODE_LENGTH = 32
_CODE_SEPARATORS = re.compile(r"\s+")
#: what a badge code or a reference can look like once normalized
_CODE_SHAPE = re.compile(rf"[A-Z0-9-]{{1,{MAX_CODE_LENGTH}}}")


@dataclass(frozen=True)
class CheckInResult:
    """The answer to one scan or tap at the check-in desk."""

    registration: Registration
    #: True when somebody had checked this registration in before this request
    already_checked_in: bool
    #: when the registration was (first) checked in, UTC
    checked_in_at: datetime
    #: who checked it in first (None when that account was deleted)
    checked_in_by: User | None


def _status_message(status: RegistrationStatus) -> str:
    """Why a registration in ``status`` cannot be checked in."""
    messages = {
        RegistrationStatus.PENDING: _("Not confirmed: the registration awaits approval."),
        RegistrationStatus.WAITLISTED: _("Not confirmed: the delegate is on the waiting list."),
        RegistrationStatus.REJECTED: _("Not confirmed: the registration was rejected."),
        RegistrationStatus.CANCELLED: _("Not confirmed: the registration was cancelled."),
    }
    return messages.get(status, _("This registration cannot be checked in."))


def normalize_code(code: str) -> str:
    """A scanned or typed code as stored: no surrounding or inner whitespace, upper case."""
    return _CODE_SEPARATORS.sub("", code or "").upper()


def _find_by_code(event: Event, code: str) -> Registration:
    """The registration of ``event`` whose badge code (or reference) is ``code``."""
    wanted = normalize_code(code)
    if not _CODE_SHAPE.fullmatch(wanted):
        raise NotFound(_("No registration of this event has this code."), field="code")
    registration = db.session.scalar(
        select(Registration).where(
            Registration.event_id == event.id,
            (Registration.badge_code == wanted) | (Registration.reference == wanted),
        )
    )
    if registration is None:
        raise NotFound(_("No registration of this event has this code."), field="code")
    return registration


def find_registration(event: Event, registration_id: int) -> Registration:
    """The registration ``registration_id`` of ``event``; NotFound when it belongs elsewhere."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        raise NotFound(_("No registration of this event has this number."))
    return registration


@use_case
def check_in(
    event: Event, *, badge_code: str | None = None, registration_id: int | None = None, user: User
) -> CheckInResult:
    """Mark the arrival of a confirmed registration of ``event``, found by code or id."""
    if (badge_code is None) == (registration_id is None):
        raise ValueError("give exactly one of badge_code and registration_id")
    if badge_code is not None:
        registration = _find_by_code(event, badge_code)
    else:
        registration = find_registration(event, registration_id)
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Conflict(_status_message(registration.status), field="code")
    claimed = db.session.execute(
        update(Registration)
        .where(
            Registration.id == registration.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.checked_in_at.is_(None),
        )
        .values(checked_in_at=utcnow(), checked_in_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if claimed:
        record_action("registration.check_in", registration, user=user,
                      reference=registration.reference)
    db.session.refresh(registration)
    if registration.checked_in_at is None:  # cancelled by somebody else meanwhile
        raise Conflict(_status_message(registration.status), field="code")
    if claimed:
        log.info("registration %s checked in by user %s", registration.id, user.id)
    return CheckInResult(
        registration=registration,
        already_checked_in=not claimed,
        checked_in_at=registration.checked_in_at,
        checked_in_by=registration.checked_in_by,
    )


@use_case
def undo_check_in(registration: Registration, *, user: User) -> None:
    """Forget a registration's arrival (organizers only, for a mistaken check-in)."""
    if not has_permission(user, registration.event, Permission.MANAGE):
        raise PermissionDenied(_("Only the event's organizers can undo a check-in."))
    if registration.checked_in_at is None:
        raise Conflict(_("This registration is not checked in."))
    previous_at, previous_by = registration.checked_in_at, registration.checked_in_by_id
    registration.checked_in_at = None
    registration.checked_in_by_id = None
    record_action("registration.undo_check_in", registration, user=user,
                  checked_in_at=previous_at.isoformat(), checked_in_by_id=previous_by)
    log.info("check-in of registration %s undone by user %s", registration.id, user.id)


def arrival_counts(event: Event) -> tuple[int, int]:
    """(checked in, expected) among the confirmed registrations of ``event``."""
    arrived = func.coalesce(
        func.sum(case((Registration.checked_in_at.is_not(None), 1), else_=0)), 0
    )
    row = db.session.execute(
        select(arrived, func.count(Registration.id)).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).one()
    return int(row[0]), int(row[1])


def _fold(text: str) -> str:
    """``text`` without case and accents, for matching ("José" and "jose" are equal)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_for_checkin(event: Event, q: str, limit: int = 20) -> list[Registration]:
    """Registrations of ``event`` matching every word of ``q``; confirmed first, then by name.

    A word matches the given or family name, the organisation or the reference. The match is
    done in Python on a few columns of the event's registrations (hundreds to a few thousand):
    it ignores case and accents in every script on SQLite and PostgreSQL alike, which SQL
    ``lower()`` and ``LIKE`` do not.
    """
    words = [_fold(word) for word in (q or "").split()][:8]
    if not words or limit <= 0:
        return []
    rows = db.session.execute(
        select(Registration.id, Registration.status, Registration.given_name,
               Registration.family_name, Registration.organisation, Registration.reference)
        .where(Registration.event_id == event.id)
    ).all()
    matches = []
    for row in rows:
        haystack = _fold(" ".join((row.given_name, row.family_name, row.organisation,
                                   row.reference)))
        if all(word in haystack for word in words):
            confirmed_first = row.status != RegistrationStatus.CONFIRMED
            matches.append(((confirmed_first, _fold(row.family_name or row.given_name),
                             _fold(row.given_name), row.id), row.id))
    ids = [reg_id for _key, reg_id in sorted(matches)[:limit]]
    if not ids:
        return []
    found = {reg.id: reg for reg in db.session.scalars(
        select(Registration).where(Registration.id.in_(ids)))}
    return [found[reg_id] for reg_id in ids if reg_id in found]


# --- the offline desk ------------------------------------------------------------------------

#: arrivals accepted in one sync request
MAX_SYNC_ARRIVALS = 500
#: the photos the offline list carries, in all: thumbnails as data: URLs (each at most
#: services.registration.photos.THUMBNAIL_MAX_BYTES, 30 KB; typically 3 to 6 KB), in the list's
#: order, until this budget is spent; later delegates are listed without a photo. It keeps the
#: list well inside a browser's localStorage (about 5 MB per site), where the queue of
#: arrivals is kept too. The desk page states it.
ROSTER_PHOTO_BUDGET_BYTES = 2 * 1024 * 1024
#: how far a device clock may run ahead before its time is replaced by the server's
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)


#: the fields of one row of the compact list, in order (``roster_changes``)
ROSTER_FIELDS = ("id", "name", "organisation", "country", "role", "code", "reference",
                 "checked_in_at")
#: a desk asking for the changes since its version gets every row changed from this long before
#: it: a transaction that wrote a row just before the desk's last download but committed just
#: after it carries an earlier time, and is sent again rather than missed
ROSTER_OVERLAP = timedelta(minutes=2)
#: a version older than this (or one that cannot be read) gets the whole list again
ROSTER_MAX_AGE = timedelta(days=3)


@dataclass(frozen=True)
class RosterChanges:
    """The offline list a desk keeps, or what changed in it since the desk's version.

    ``rows`` are lists in ROSTER_FIELDS order (codes rather than names for the country and the
    role: ``countries`` and ``roles`` name them in the desk user's language); ``removed`` are
    the ids of registrations that may no longer arrive (cancelled, moved to the waiting list,
    erased) since the version; ``version`` is what the desk sends next time.
    """

    version: str
    full: bool
    rows: list[list]
    removed: list[int]
    countries: dict[str, str]
    roles: dict[str, str]


def roster_version(moment: datetime) -> str:
    return iso_time(moment)


def _parse_version(version: str | None, now: datetime) -> datetime | None:
    """The time a desk's ``version`` stands for; None (the whole list) when it is missing,
    unreadable, in the future or older than ROSTER_MAX_AGE."""
    if not version:
        return None
    try:
        moment = datetime.fromisoformat(str(version).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None or moment > now or now - moment > ROSTER_MAX_AGE:
        return None
    return moment.astimezone(UTC)


def roster_changes(event: Event, since: str | None = None) -> RosterChanges:
    """What a desk keeps on its device to work offline: the registrations of ``event`` that may
    arrive, with the badge fields only (no passport, email or phone), as compact rows; with
    ``since`` (the version of the desk's list), only the rows changed since then and the ids
    that left the list. Photos come separately (``roster_photos``)."""
    now = utcnow()
    moment = _parse_version(since, now)
    query = select(Registration).where(Registration.event_id == event.id)
    if moment is None:
        query = query.where(Registration.status == RegistrationStatus.CONFIRMED)
    else:
        query = query.where(Registration.updated_at >= moment - ROSTER_OVERLAP)
    rows, removed, countries, roles = [], [], {}, {}
    for registration in db.session.scalars(
            query.order_by(Registration.sort_name, Registration.given_name, Registration.id)):
        if registration.status != RegistrationStatus.CONFIRMED:
            removed.append(registration.id)
            continue
        countries.setdefault(registration.country, country_name(registration.country))
        role = registration.delegation_role.value
        roles.setdefault(role, role_label(registration.delegation_role))
        rows.append([registration.id, display_name(registration), registration.organisation,
                     registration.country, role, registration.badge_code,
                     registration.reference, iso_time(registration.checked_in_at)])
    return RosterChanges(version=roster_version(now), full=moment is None, rows=rows,
                         removed=removed, countries=countries, roles=roles)


def _photo_rows(event: Event):
    """(registration id, thumbnail upload id) of ``event``'s confirmed delegates with a photo,
    in the list's order."""
    return db.session.execute(
        select(Registration.id, Registration.photo_thumbnail_id).where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.photo_thumbnail_id.is_not(None))
        .order_by(Registration.sort_name, Registration.given_name, Registration.id)).all()


def roster_photos_tag(event: Event) -> str:
    """A short tag that changes whenever the desk's photos would (an ETag): who has which
    thumbnail, without reading any image."""
    digest = hashlib.sha256()
    for registration_id, upload_id in _photo_rows(event):
        digest.update(f"{registration_id}:{upload_id};".encode("ascii"))
    return digest.hexdigest()[:32]


def roster_photos(event: Event) -> dict[int, str]:
    """{registration id: data: URL of the thumbnail} for the desk, in the list's order, until
    ROSTER_PHOTO_BUDGET_BYTES is spent; later delegates have no photo offline."""
    pairs = _photo_rows(event)
    thumbnails = dict(db.session.execute(
        select(Upload.id, Upload.data).where(Upload.id.in_([upload for _, upload in pairs])))
        .all()) if pairs else {}
    photos, spent = {}, 0
    for registration_id, upload_id in pairs:
        data = thumbnails.get(upload_id)
        if data is None:
            continue
        url = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
        if spent + len(url) <= ROSTER_PHOTO_BUDGET_BYTES:
            photos[registration_id] = url
            spent += len(url)
    return photos


def iso_time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _arrival_time(value, now: datetime) -> datetime:
    """The device's time of a scan, in UTC; the server's time when missing or in the future."""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return now
    if moment.tzinfo is None:
        return now
    moment = moment.astimezone(UTC)
    return now if moment > now + CLOCK_SKEW_ALLOWANCE else min(moment, now)


@dataclass(frozen=True)
class SyncedArrival:
    """The server's answer about one arrival queued by an offline desk."""

    code: str
    #: "checked_in" (recorded now), "already" (known before) or "refused"
    outcome: str
    registration_id: int | None = None
    #: the arrival time that stands (the earliest one reported)
    checked_in_at: datetime | None = None
    message: str = ""


@use_case
def sync_offline_arrivals(event: Event, arrivals: list, *, user: User) -> list[SyncedArrival]:
    """Record arrivals scanned while a desk was offline; the earliest time stands.

    Each item is ``{"code": badge code or reference, "at": ISO time on the device}``. A
    registration with no arrival gets the reported time; one checked in later than the
    reported time (another desk was online) gets the earlier time; one checked in earlier
    keeps its time. Refusals (unknown code, not confirmed) are answered per item.
    """
    now, answers = utcnow(), []
    for item in arrivals[:MAX_SYNC_ARRIVALS]:
        code = normalize_code(str(item.get("code") or "") if isinstance(item, dict) else "")
        try:
            registration = _find_by_code(event, code)
        except ServiceError as error:
            answers.append(SyncedArrival(code, "refused", message=error.message))
            continue
        if registration.status != RegistrationStatus.CONFIRMED:
            answers.append(SyncedArrival(code, "refused", registration.id,
                                         message=_status_message(registration.status)))
            continue
        at = _arrival_time(item.get("at"), now)
        claimed = db.session.execute(
            update(Registration)
            .where(Registration.id == registration.id,
                   Registration.status == RegistrationStatus.CONFIRMED,
                   or_(Registration.checked_in_at.is_(None), Registration.checked_in_at > at))
            .values(checked_in_at=at, checked_in_by_id=user.id)
            .execution_options(synchronize_session=False)
        ).rowcount == 1
        if claimed:
            record_action("registration.check_in", registration, user=user,
                          reference=registration.reference, offline=True, at=at.isoformat())
        db.session.flush()
        db.session.refresh(registration)
        answers.append(SyncedArrival(code, "checked_in" if claimed else "already",
                                     registration.id, registration.checked_in_at))
    log.info("offline desk of user %s synced %d arrival(s) for event %s", user.id,
             len(answers), event.id)
    return answers
