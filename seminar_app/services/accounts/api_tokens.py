"""Tokens of the JSON API: creating, listing, revoking them, and checking a presented token.

A token acts for the staff member who created it, with that person's permissions, narrowed
to the token's scope (all the events the person may see, or a list of them) and to reading
unless it was created for writing. Only the SHA-256 of a token is stored; the token is shown
once, when it is created. A revoked or expired token, or one whose creator's account is
deactivated, is refused. Deactivating an account revokes its tokens for good
(``revoke_tokens_of_user``): reactivating the account does not bring them back.
"""

import hashlib
import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select, update

from ...database import transaction, use_case
from ...extensions import db
from ...models import ApiToken, Event, TeamMember, User, api_token_events, utcnow
from ..access import Permission, can_create_events, event_permissions, visible_events_query
from ..audit import record_action
from ..errors import Conflict, NotFound, PermissionDenied, ServiceError

log = logging.getLogger(__name__)

#: every token starts with this, so that secret scanners and people recognise it
TOKEN_PREFIX = "sat_"  # noqa: S105 - a label, not a secret
#: characters of the token kept (and shown) to tell tokens apart
VISIBLE_PREFIX_LENGTH = 12
NAME_MAX = 100
#: last_used_at is written at most this often per token (no write on every request)
LAST_USED_RESOLUTION = timedelta(minutes=1)


class InvalidToken(ServiceError):
    """No token, or a token that is unknown, revoked or expired."""

    status_code = 401


def hash_api_token(token: str) -> str:
    """Hex SHA-256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def may_use_tokens(user: User) -> bool:
    """Organizers and administrators, and staff on at least one event's team."""
    if not user.is_authenticated or not user.active:
        return False
    if can_create_events(user):
        return True
    return bool(db.session.scalar(select(exists().where(TeamMember.user_id == user.id))))


def _check_may_use(user: User) -> None:
    if not may_use_tokens(user):
        raise PermissionDenied(_("Only staff working on an event can create API tokens."))


def choosable_events(user: User) -> list[Event]:
    """The events ``user`` may limit a token to (those they may see), newest first."""
    return list(db.session.scalars(
        visible_events_query(user).order_by(Event.start_at.desc(), Event.id.desc())))


def tokens_of(user: User) -> list[ApiToken]:
    """The tokens ``user`` may see: their own, or every token for an administrator."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not user.is_admin:
        query = query.where(ApiToken.created_by_id == user.id)
    return list(db.session.scalars(query))


def get_token(user: User, token_id: int) -> ApiToken:
    """Token ``token_id`` when ``user`` may see it (their own, or any for an administrator)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or (token.created_by_id != user.id and not user.is_admin):
        raise NotFound(_("This API token does not exist."))
    return token


def expiry_moment(expires_on: date | None) -> datetime | None:
    """A token "valid until" ``expires_on`` works until the end of that day (UTC)."""
    if expires_on is None:
        return None
    return datetime.combine(expires_on + timedelta(days=1), time(0), tzinfo=UTC)


@use_case
def create_token(user: User, *, name: str, can_write: bool = False,
                 event_ids=(), expires_on: date | None = None) -> tuple[ApiToken, str]:
    """A new token of ``user``; returns it and the secret token (shown once). Commits.

    No ``event_ids``: valid for every event the user may see, now and later.
    """
    _check_may_use(user)
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError(_("Please give the token a name."), field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(_("Use at most %(max)d characters.", max=NAME_MAX), field="name")
    wanted = {int(event_id) for event_id in event_ids or ()}
    events = []
    if wanted:
        events = list(db.session.scalars(
            visible_events_query(user).where(Event.id.in_(wanted))))
        if len(events) != len(wanted):
            raise ServiceError(_("Choose events from the list."), field="events")
    expires_at = expiry_moment(expires_on)
    if expires_at is not None and expires_at <= utcnow():
        raise ServiceError(_("The expiry date must be in the future."), field="expires_on")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=secret[:VISIBLE_PREFIX_LENGTH],
                     token_hash=hash_api_token(secret), can_write=bool(can_write),
                     all_events=not events, created_by_id=user.id, expires_at=expires_at)
    token.events = events
    db.session.add(token)
    db.session.flush()
    record_action("api_token.create", token, user=user, name=name, prefix=token.prefix,
                  can_write=token.can_write, event_ids=sorted(e.id for e in events),
                  expires_at=expires_at.isoformat() if expires_at else None)
    log.info("API token %s created by user %s", token.prefix, user.id)
    return token, secret


@use_case
def revoke_token(token: ApiToken, *, actor: User) -> ApiToken:
    """Stop a token from working, for good. Commits."""
    if token.revoked_at is not None:
        raise Conflict(_("This API token is already revoked."))
    token.revoked_at = utcnow()
    record_action("api_token.revoke", token, user=actor, name=token.name, prefix=token.prefix)
    log.info("API token %s revoked by user %s", token.prefix, actor.id)
    return token


def revoke_tokens_of_user(user: User, *, actor: User | None = None) -> int:
    """Revoke every working token of ``user`` (a deactivated account); no commit; the count."""
    tokens = list(db.session.scalars(select(ApiToken).where(
        ApiToken.created_by_id == user.id, ApiToken.revoked_at.is_(None))))
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
        record_action("api_token.revoke", token, user=actor, name=token.name,
                      prefix=token.prefix, reason="account_deactivated")
    if tokens:
        log.info("%d API token(s) of user %s revoked with the account", len(tokens), user.id)
    return len(tokens)


def authenticate(secret: str | None) -> ApiToken:
    """The active token whose secret is ``secret``; InvalidToken otherwise.

    Notes the time of use (at most once a minute per token).
    """
    token = None
    if secret and secret.startswith(TOKEN_PREFIX) and len(secret) <= 100:
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == hash_api_token(secret)))
    if token is None:
        raise InvalidToken(_("The API token is missing or not valid."))
    now = utcnow()
    if token.revoked_at is not None:
        raise InvalidToken(_("This API token has been revoked."))
    if token.expires_at is not None and token.expires_at <= now:
        raise InvalidToken(_("This API token has expired."))
    if not token.created_by.active:
        raise InvalidToken(_("The account of this API token is deactivated."))
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        with transaction():
            db.session.execute(
                update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now)
                .execution_options(synchronize_session=False))
    return token


def scoped_events_query(token: ApiToken):
    """A select() of the events ``token`` may reach: seen by its creator and in its scope."""
    query = visible_events_query(token.created_by)
    if not token.all_events:
        query = query.where(Event.id.in_(
            select(api_token_events.c.event_id).where(api_token_events.c.token_id == token.id)))
    return query


def in_scope(token: ApiToken, event: Event) -> bool:
    """True when ``event`` is within the token's scope (whatever the creator's rights)."""
    return token.all_events or any(e.id == event.id for e in token.events)


def token_permissions(token: ApiToken, event: Event) -> set[Permission]:
    """The creator's permissions on ``event``, or none when it is outside the token's scope."""
    if not in_scope(token, event):
        return set()
    return event_permissions(token.created_by, event)
