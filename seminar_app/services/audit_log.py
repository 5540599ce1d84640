"""Reading the audit log: the filtered, newest-first list administrators page through."""

import json

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..models import AuditEntry, Event, User

#: entries shown on one page of the audit log
AUDIT_PER_PAGE = 50


def audit_entries_query(
    *, event_id: int | None = None, action_prefix: str = "", user_id: int | None = None
) -> Select:
    """Audit entries matching the filters, newest first, with their accounts loaded."""
    query = select(AuditEntry).options(joinedload(AuditEntry.user))
    if event_id is not None:
        query = query.where(AuditEntry.event_id == event_id)
    if action_prefix:
        escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(AuditEntry.action.like(f"{escaped}%", escape="\\"))
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def audit_filter_events() -> Select:
    """Events offered in the audit log's event filter, newest first."""
    return select(Event.id, Event.title).order_by(Event.start_at.desc(), Event.id.desc())


def audit_filter_users() -> Select:
    """Staff accounts offered in the audit log's account filter, by name."""
    return select(User.id, User.name, User.email).order_by(User.name, User.id)


def compact_details(details: dict | None) -> str:
    """An audit entry's details as compact JSON text (to be HTML-escaped by the template)."""
    if not details:
        return ""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
