"""Recording actions in the audit log."""

from flask_login import current_user

from ..extensions import db
from ..models import AuditEntry


def record_action(action: str, obj=None, *, event_id: int | None = None, user=None, **details):
    """Add an audit entry for ``action`` on ``obj`` to the current transaction (no commit)."""
    actor = user if user is not None else _current_user_or_none()
    if obj is not None and event_id is None:
        event_id = getattr(obj, "event_id", None)
        if obj.__tablename__ == "events":
            event_id = obj.id
    entry = AuditEntry(
        action=action,
        user_id=actor.id if actor is not None else None,
        object_type=obj.__tablename__ if obj is not None else "",
        object_id=obj.id if obj is not None else None,
        event_id=event_id,
        details={key: _jsonable(value) for key, value in details.items()},
    )
    db.session.add(entry)
    return entry


def _current_user_or_none():
    try:
        return current_user if current_user.is_authenticated else None
    except (AttributeError, RuntimeError):  # no request or no login manager
        return None


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
