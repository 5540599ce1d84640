"""Events: creating, editing, publishing, cancelling and cloning them; co-hosts; the team.

Life cycle: a new event is a draft (seen by its team only). Publishing needs an event that
has not ended and has a venue or an online link. Unpublishing turns a published event back
into a draft. Cancelling is final: a cancelled event stays visible with its reason and cannot
be published again (clone it to run it again). Every change is audited and committed once.
"""

import copy as copying
import itertools
import logging
import re
import unicodedata

from flask_babel import gettext as _
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from ...database import use_case
from ...extensions import db
from ...models import CoHost, Event, EventStatus, TeamMember, User, utcnow
from ..access import can_create_events
from ..accounts.users import find_user_by_email
from ..audit import record_action
from ..errors import Conflict, PermissionDenied, ServiceError
from ..notifications import notify_join_link_changed, notify_team_member_added
from ..registration.waitlist import lock_event, promote_waitlisted
from .attendance import confirmed_online_registrations, join_link
from .content_language import CONTENT_LANGUAGES, base_language_of, merge_texts
from .event_values import DESCRIPTION_MAX, SLUG_MAX, clean_event_values, is_web_url
from .uploads import create_image_upload

log = logging.getLogger(__name__)


# --- slugs -----------------------------------------------------------------------------------

def slugify(text: str) -> str:
    """An ASCII, lower-case, hyphenated address part made from ``text`` ("event" if none)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_text = bare.encode("ascii", "replace").decode()  # other letters become "?"
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "event"


def free_slug(stem: str) -> str:
    """``stem``, or ``stem-2``, ``stem-3``... whichever no event uses yet."""
    taken = set(db.session.scalars(select(Event.slug).where(Event.slug.like(stem[:60] + "%"))))
    for number in itertools.count(1):
        suffix = "" if number == 1 else f"-{number}"
        candidate = stem[: SLUG_MAX - len(suffix)].rstrip("-") + suffix
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable")


def _slug_taken_error() -> Conflict:
    return Conflict(_("This address is already used by another event."), field="slug")


def _save_event(event: Event, action: str, *, user: User | None = None, **details) -> None:
    """Flush and audit (the use case commits); a slug taken meanwhile becomes a Conflict on
    the slug field (the use case rolls back)."""
    try:
        db.session.flush()
        record_action(action, event, user=user, **details)
    except IntegrityError as error:
        if "slug" in str(error.orig).lower():
            raise _slug_taken_error() from error
        raise


# --- texts in several languages --------------------------------------------------------------

#: the event's texts kept per language, with their longest length
EVENT_TEXTS = {"title": 200, "theme": 300, "description": DESCRIPTION_MAX}


def _with_texts(data: dict, event: Event | None = None) -> tuple[dict, dict]:
    """``data`` with its title, theme and description in the event's base language, and the
    new ``translations``.

    ``data["translations"]`` (``{"en": {"title": ...}, "id": {...}}``) gives the texts per
    language; without it, ``data``'s own title, theme and description are the base
    language's. At least one language needs a title (clean_event_values says so).
    """
    given = data.get("translations")
    languages = data.get("languages") or (event.languages if event is not None else "en")
    if isinstance(languages, list | tuple):
        languages = ",".join(languages)
    for code, texts in (given or {}).items():
        for field, limit in EVENT_TEXTS.items():
            if code in CONTENT_LANGUAGES and len((texts or {}).get(field) or "") > limit:
                name = field if code == CONTENT_LANGUAGES[0] else f"{field}_{code}"
                raise ServiceError(_("At most %(max)d characters.", max=limit), field=name)
    stored = {field: getattr(event, field) for field in EVENT_TEXTS} if event else None
    translations, texts = merge_texts(
        current=event.translations if event is not None else None, given=given, plain=data,
        fields=tuple(EVENT_TEXTS), base=base_language_of(languages), stored=stored)
    return {**data, **texts}, translations


# --- events ----------------------------------------------------------------------------------

@use_case
def create_event(*, owner: User, data: dict) -> Event:
    """Create a draft event owned by ``owner`` from the organizer's ``data``."""
    if not can_create_events(owner):
        raise PermissionDenied(_("Only organizers and administrators can create events."))
    data, translations = _with_texts(data)
    values = clean_event_values(data)
    values["translations"] = translations
    if values["slug"]:
        if db.session.scalar(select(Event.id).where(Event.slug == values["slug"])):
            raise _slug_taken_error()
    else:
        values["slug"] = free_slug(slugify(values["title"]))
    event = Event(owner_id=owner.id, status=EventStatus.DRAFT, **values)
    db.session.add(event)
    _save_event(event, "event.create", user=owner, slug=event.slug)
    log.info("event %s created by %s", event.slug, owner.email)
    return event


@use_case
def update_event(event: Event, *, data: dict) -> Event:
    """Change an event's details; an empty slug keeps the current one."""
    data, translations = _with_texts(data, event)
    values = clean_event_values(data)
    values["translations"] = translations
    if not values["slug"]:
        values["slug"] = event.slug
    elif values["slug"] != event.slug and db.session.scalar(
        select(Event.id).where(Event.slug == values["slug"], Event.id != event.id)
    ):
        raise _slug_taken_error()
    changed = sorted(key for key, value in values.items() if getattr(event, key) != value)
    room_changed = bool({"capacity", "country_quota"} & set(changed))
    if room_changed:  # count and promote under the event lock (services.registration.waitlist)
        event = lock_event(event.id)
        changed = sorted(key for key, value in values.items() if getattr(event, key) != value)
    for key, value in values.items():
        setattr(event, key, value)
    if room_changed:
        db.session.flush()
        promoted = promote_waitlisted(event)
        if promoted:
            log.info("event %s: %d promoted after a change of places", event.id, len(promoted))
    _save_event(event, "event.update", changed=changed)
    return event


class NotReadyToPublish(ServiceError):
    """The event lacks what publishing needs (a venue or an online link, an end still to
    come): 422 on the web page and in the API alike, ``field`` naming what to complete. A
    life-cycle state that forbids it (already published, cancelled) is a Conflict (409)."""

    status_code = 422


@use_case
def change_event_details(event: Event, *, data: dict) -> tuple[Event, int]:
    """``update_event``, and when the join link of a published event changed, email it to
    each confirmed delegate attending online (their language; audited). Returns the event and
    how many delegates were told."""
    old_link = event.online_url
    event = update_event(event, data=data)
    if event.status != EventStatus.PUBLISHED or not event.online_url \
            or event.online_url == old_link:
        return event, 0
    told = [registration for registration in confirmed_online_registrations(event)
            if join_link(registration)]
    for registration in told:
        notify_join_link_changed(registration)
    record_action("event.join_link_change", event, told=len(told),
                  registrations=[registration.id for registration in told])
    log.info("event %s: new join link emailed to %d delegates", event.id, len(told))
    return event, len(told)


@use_case
def publish_event(event: Event) -> Event:
    """Make a draft visible; it must not have ended and needs a venue or an online link."""
    if event.status == EventStatus.CANCELLED:
        raise Conflict(_("A cancelled event cannot be published again. Clone it instead."))
    if event.status == EventStatus.PUBLISHED:
        raise Conflict(_("This event is already published."))
    if event.end_at <= utcnow():
        raise NotReadyToPublish(_("This event has already ended and cannot be published."),
                                field="end_at")
    if not (event.venue_name or event.venue_address or event.venue_city or event.online_url):
        raise NotReadyToPublish(_("Add a venue or an online link before publishing."),
                                field="venue_name")
    event.status = EventStatus.PUBLISHED
    event.published_at = utcnow()
    _save_event(event, "event.publish")
    return event


@use_case
def unpublish_event(event: Event) -> Event:
    """Turn a published event back into a draft (only published events)."""
    if event.status != EventStatus.PUBLISHED:
        raise Conflict(_("Only a published event can be unpublished."))
    event.status = EventStatus.DRAFT
    _save_event(event, "event.unpublish")
    return event


@use_case
def cancel_event(event: Event, *, reason: str = "") -> Event:
    """Cancel a draft or published event for good, keeping it visible with ``reason``."""
    if event.status == EventStatus.CANCELLED:
        raise Conflict(_("This event is already cancelled."))
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.cancellation_reason = (reason or "").strip()
    _save_event(event, "event.cancel", reason=event.cancellation_reason)
    return event


def _column_values(obj, *skip: str) -> dict:
    """Every column attribute of ``obj`` except the primary key and ``skip``."""
    mapper = inspect(type(obj))
    keys = [attr.key for attr in mapper.column_attrs]
    # deep copies: JSON values (translations, choices) must not be shared between the rows
    return {key: copying.deepcopy(getattr(obj, key)) for key in keys
            if key != "id" and key not in skip}


_NOT_CLONED = ("slug", "status", "owner_id", "created_at", "updated_at", "published_at",
               "cancelled_at", "cancellation_reason")


@use_case
def clone_event(event: Event, *, owner: User) -> Event:
    """A draft copy of ``event`` owned by ``owner``: details, agenda and co-hosts, not the team."""
    if not can_create_events(owner):
        raise PermissionDenied(_("Only organizers and administrators can create events."))
    copy = Event(**_column_values(event, *_NOT_CLONED), owner_id=owner.id,
                 status=EventStatus.DRAFT, slug=free_slug(f"{event.slug[:SLUG_MAX - 5]}-copy"))
    for cohost in event.cohosts:
        copy.cohosts.append(CoHost(**_column_values(cohost, "event_id")))
    for session in event.sessions:
        session_copy = type(session)(**_column_values(session, "event_id"))
        for speaker in session.speakers:
            session_copy.speakers.append(type(speaker)(**_column_values(speaker, "session_id")))
        copy.sessions.append(session_copy)
    db.session.add(copy)
    _save_event(copy, "event.clone", user=owner, source_event_id=event.id,
                  source_slug=event.slug)
    return copy


# --- co-hosts --------------------------------------------------------------------------------

def _check_cohost_values(name: str, url: str) -> None:
    if not (name or "").strip():
        raise ServiceError(_("Please give the organisation's name."), field="name")
    if url and not is_web_url(url.strip()):
        raise ServiceError(_("Enter a web address starting with http:// or https://."),
                           field="url")


@use_case
def add_cohost(event: Event, *, name: str, role: str = "", url: str = "",
               logo: bytes | None = None, logo_filename: str = "") -> CoHost:
    """Add a co-host at the end of the event's list, with an optional logo image."""
    _check_cohost_values(name, url)
    last = db.session.scalar(select(func.max(CoHost.position)).where(CoHost.event_id == event.id))
    cohost = CoHost(event_id=event.id, name=name.strip(), role=role.strip(), url=url.strip(),
                    position=(last or 0) + 1)
    if logo:
        cohost.logo = create_image_upload(data=logo, filename=logo_filename)
    db.session.add(cohost)
    db.session.flush()
    record_action("cohost.create", cohost, name=cohost.name)
    return cohost


@use_case
def update_cohost(cohost: CoHost, *, name: str, role: str = "", url: str = "",
                  logo: bytes | None = None, logo_filename: str = "",
                  remove_logo: bool = False) -> CoHost:
    """Change a co-host; a new logo replaces the old one, ``remove_logo`` drops it."""
    _check_cohost_values(name, url)
    cohost.name, cohost.role, cohost.url = name.strip(), role.strip(), url.strip()
    old_logo = cohost.logo
    if logo:
        cohost.logo = create_image_upload(data=logo, filename=logo_filename)
    elif remove_logo:
        cohost.logo = None
    db.session.flush()
    if old_logo is not None and cohost.logo is not old_logo:
        _delete_upload_if_unused(old_logo)
    record_action("cohost.update", cohost, name=cohost.name)
    return cohost


@use_case
def delete_cohost(cohost: CoHost) -> None:
    """Remove a co-host (its logo too, unless a cloned event still shows it)."""
    record_action("cohost.delete", cohost, name=cohost.name)
    logo = cohost.logo
    db.session.delete(cohost)
    db.session.flush()
    if logo is not None:
        _delete_upload_if_unused(logo)


def _delete_upload_if_unused(upload) -> None:
    if not db.session.scalar(select(CoHost.id).where(CoHost.logo_id == upload.id).limit(1)):
        db.session.delete(upload)


@use_case
def move_cohost(cohost: CoHost, *, direction: str) -> None:
    """Move a co-host one place ``"up"`` or ``"down"`` in the event's list."""
    if direction not in ("up", "down"):
        raise ServiceError(_("Unknown direction."))
    siblings = list(db.session.scalars(
        select(CoHost).where(CoHost.event_id == cohost.event_id)
        .order_by(CoHost.position, CoHost.id)
    ))
    index = siblings.index(cohost)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, item in enumerate(siblings, start=1):
        item.position = position
    record_action("cohost.move", cohost, direction=direction)


# --- the team --------------------------------------------------------------------------------

@use_case
def add_team_member(event: Event, *, email: str, can_manage: bool = False,
                    can_invite: bool = False, can_checkin: bool = False) -> TeamMember:
    """Give the staff account with ``email`` a place on the event's team."""
    user = find_user_by_email(email or "")
    if user is None or not user.active:
        raise ServiceError(_("No active staff account has this email. Ask an administrator "
                             "to create the account first."), field="email")
    if user.id == event.owner_id:
        raise Conflict(_("The owner of the event is always on its team."), field="email")
    duplicate = Conflict(_("This person is already on the team."), field="email")
    if db.session.scalar(select(TeamMember.id).where(TeamMember.event_id == event.id,
                                                     TeamMember.user_id == user.id)):
        raise duplicate
    member = TeamMember(event_id=event.id, user_id=user.id, can_manage=bool(can_manage),
                        can_invite=bool(can_invite), can_checkin=bool(can_checkin))
    db.session.add(member)
    try:
        db.session.flush()
        record_action("team.add", member, email=user.email, **_rights(member))
        notify_team_member_added(member)
    except IntegrityError as error:
        raise duplicate from error
    return member


def _rights(member: TeamMember) -> dict:
    return {"can_manage": member.can_manage, "can_invite": member.can_invite,
            "can_checkin": member.can_checkin}


@use_case
def update_team_member(member: TeamMember, *, can_manage: bool, can_invite: bool,
                       can_checkin: bool) -> TeamMember:
    """Change what a team member may do on the event."""
    member.can_manage, member.can_invite = bool(can_manage), bool(can_invite)
    member.can_checkin = bool(can_checkin)
    record_action("team.update", member, email=member.user.email, **_rights(member))
    return member


@use_case
def remove_team_member(member: TeamMember) -> None:
    """Take a member off the event's team."""
    record_action("team.remove", member, email=member.user.email)
    db.session.delete(member)
