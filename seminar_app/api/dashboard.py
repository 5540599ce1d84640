"""The figures of an event's staff dashboard (services.documents.dashboard: counts by status,
countries, roles, types of organisation, registrations and check-ins by day, the invitation
funnel) and the addresses whose mail bounced (services.invitations.bounces)."""

from ..models import RegistrationStatus
from ..services.access import Permission
from ..services.documents.dashboard import event_dashboard
from ..services.invitations.bounces import bounce_of, bounces_query
from . import core
from .core import bp, iso


def _rate(value: float) -> float:
    return round(value, 4)


def dashboard_json(figures) -> dict:
    funnel = figures.invitations
    return {
        "event_id": figures.event.id,
        "timezone": figures.event.timezone,
        "total": figures.total,
        "by_status": {status.value: figures.by_status.get(status, 0)
                      for status in RegistrationStatus},
        "confirmed": figures.confirmed,
        "countries": figures.countries,
        "confirmed_by_country": [{"country": code, "count": count}
                                 for code, count in figures.confirmed_by_country],
        "confirmed_by_role": [{"delegation_role": role.value, "count": count}
                              for role, count in figures.confirmed_by_role],
        "confirmed_by_organisation_type": [
            {"organisation_type": kind.value, "count": count}
            for kind, count in figures.confirmed_by_organisation_type],
        "registrations_by_day": [{"day": iso(day.day), "count": day.count, "total": day.total}
                                 for day in figures.registrations_by_day],
        "checked_in": figures.checked_in,
        "checkin_rate": _rate(figures.checkin_rate),
        "checkin_by_day": [{"day": iso(day.day), "arrivals": day.arrivals,
                            "total_checked_in": day.total_checked_in, "rate": _rate(day.rate)}
                           for day in figures.checkin_by_day],
        "invitations": {
            "invited": funnel.invited, "sent": funnel.sent, "responded": funnel.responded,
            "registered": funnel.registered, "checked_in": funnel.checked_in,
            "answered_without_email": funnel.answered_without_email,
            "response_rate": _rate(figures.response_rate),
        },
    }


@bp.get("/events/<int:event_id>/dashboard")
def get_dashboard(event_id: int):
    """The event's dashboard figures (as the staff dashboard page shows them)."""
    event, _permissions = core.load_event(event_id, Permission.VIEW)
    return core.data_response(dashboard_json(event_dashboard(event)))


def bounce_json(bounce) -> dict:
    return {"email": bounce.email, "name": bounce.name, "reason": bounce.reason,
            "bounced_at": iso(bounce.bounced_at), "source": bounce.source,
            "invitee_id": bounce.invitee_id, "registration_id": bounce.registration_id}


@bp.get("/events/<int:event_id>/bounces")
def list_bounces(event_id: int):
    """Invitees and delegates whose mail bounced: address, reason, when (newest first)."""
    event, _permissions = core.load_event(event_id, Permission.INVITE)
    rows, meta, link = core.paginate_rows(bounces_query(event))
    return core.page_response([bounce_json(bounce_of(row)) for row in rows], meta, link)
