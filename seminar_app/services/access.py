"""Who may see and do what on which event.

Admins may do everything. Organizers may create events and act on the events they own.
Anyone on an event's team acts there with the rights the team grants: manage, invite,
check in (managing implies the other two).
"""

import enum

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Event, TeamMember, User, UserRole


class Permission(enum.StrEnum):
    """What a user may do on one event."""

    VIEW = "view"  # see the event's management pages
    MANAGE = "manage"
    INVITE = "invite"
    CHECKIN = "checkin"


def can_create_events(user: User) -> bool:
    """Admins and organizers create events; staff work on events they are given."""
    return user.is_authenticated and user.role in (UserRole.ADMIN, UserRole.ORGANIZER)


def event_permissions(user: User, event: Event) -> set[Permission]:
    """The set of permissions ``user`` holds on ``event``."""
    if not user.is_authenticated:
        return set()
    if user.role == UserRole.ADMIN or event.owner_id == user.id:
        return set(Permission)
    member = db.session.scalar(
        select(TeamMember).where(TeamMember.event_id == event.id, TeamMember.user_id == user.id)
    )
    if member is None:
        return set()
    granted = {Permission.VIEW}
    if member.can_manage:
        granted |= {Permission.MANAGE, Permission.INVITE, Permission.CHECKIN}
    if member.can_invite:
        granted.add(Permission.INVITE)
    if member.can_checkin:
        granted.add(Permission.CHECKIN)
    return granted


def has_permission(user: User, event: Event, permission: Permission) -> bool:
    """True when ``user`` holds ``permission`` on ``event``."""
    return permission in event_permissions(user, event)


def visible_events_query(user: User):
    """A select() of the events ``user`` may see under /manage/ (all of them for admins)."""
    query = select(Event)
    if user.role == UserRole.ADMIN:
        return query
    team_event_ids = select(TeamMember.event_id).where(TeamMember.user_id == user.id)
    return query.where(or_(Event.owner_id == user.id, Event.id.in_(team_event_ids)))
