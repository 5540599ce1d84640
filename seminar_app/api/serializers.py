"""Models as JSON objects of the API (snake_case, ids as integers, times in UTC with Z)."""

from ..models import Event, Invitee, Mailing, Registration
from ..services.events.attendance import attends_online, event_mode
from ..services.invitations.invitation_status import InviteeProgress
from ..services.invitations.mailings import Progress
from ..services.invitations.scheduling import mailing_state
from .core import iso


def event_json(event: Event) -> dict:
    return {
        "id": event.id,
        "slug": event.slug,
        "title": event.title,
        "event_type": event.event_type.value,
        "status": event.status.value,
        "visibility": event.visibility.value,
        "theme": event.theme,
        "description": event.description,
        "timezone": event.timezone,
        "start_at": iso(event.start_at),
        "end_at": iso(event.end_at),
        "venue_name": event.venue_name,
        "venue_address": event.venue_address,
        "venue_city": event.venue_city,
        "venue_country": event.venue_country,
        "online_url": event.online_url,
        "languages": event.language_list,
        "capacity": event.capacity,
        "country_quota": event.country_quota,
        "requires_approval": event.requires_approval,
        "registration_opens_at": iso(event.registration_opens_at),
        "registration_closes_at": iso(event.registration_closes_at),
        "contact_name": event.contact_name,
        "contact_email": event.contact_email,
        "contact_phone": event.contact_phone,
        "cancellation_reason": event.cancellation_reason,
        "owner_id": event.owner_id,
        "created_at": iso(event.created_at),
        "updated_at": iso(event.updated_at),
        "published_at": iso(event.published_at),
        "cancelled_at": iso(event.cancelled_at),
        "attendance_mode": event_mode(event).value,
        "nomination_deadline": iso(event.nomination_deadline),
        "promotion_confirm_days": event.promotion_confirm_days,
    }


PASSPORT_KEYS = ("passport_number", "nationality", "birth_date", "birth_place",
                 "passport_expiry")


def registration_json(registration: Registration, *, with_passport: bool) -> dict:
    data = {
        "id": registration.id,
        "event_id": registration.event_id,
        "reference": registration.reference,
        "status": registration.status.value,
        "source": registration.source.value,
        "honorific": registration.honorific.value,
        "honorific_other": registration.honorific_other,
        "given_name": registration.given_name,
        "family_name": registration.family_name,
        "email": registration.email,
        "country": registration.country,
        "organisation": registration.organisation,
        "organisation_type": registration.organisation_type,
        "delegation_id": registration.delegation_id,
        "position": registration.position,
        "delegation_role": registration.delegation_role.value,
        "phone": registration.phone,
        "language": registration.language,
        "dietary": registration.dietary,
        "accessibility": registration.accessibility,
        "needs_visa_letter": registration.needs_visa_letter,
        "attendance": "online" if attends_online(registration) else "in_person",
        "forwarded_invitation": registration.forwarded_invitation,
        "decision_reason": registration.decision_reason,
        "created_at": iso(registration.created_at),
        "updated_at": iso(registration.updated_at),
        "confirmed_at": iso(registration.confirmed_at),
        "waitlisted_at": iso(registration.waitlisted_at),
        "cancelled_at": iso(registration.cancelled_at),
        "checked_in_at": iso(registration.checked_in_at),
        "answers": {str(answer.question_id): answer.value
                    for answer in sorted(registration.answers, key=lambda a: a.question_id)},
    }
    if with_passport:
        data.update({
            "passport_number": registration.passport_number,
            "nationality": registration.nationality,
            "birth_date": iso(registration.birth_date),
            "birth_place": registration.birth_place,
            "passport_expiry": iso(registration.passport_expiry),
        })
    return data


def invitee_json(invitee: Invitee, progress: InviteeProgress) -> dict:
    return {
        "id": invitee.id,
        "event_id": invitee.event_id,
        "honorific": invitee.honorific.value if invitee.honorific else None,
        "honorific_other": invitee.honorific_other,
        "name": invitee.name,
        "email": invitee.email,
        "country": invitee.country,
        "organisation": invitee.organisation,
        "position": invitee.position,
        "language": invitee.language,
        "group_name": invitee.group_name,
        "note": invitee.note,
        "kind": invitee.kind,
        "status": progress.status.value,
        "status_at": iso(progress.status_time),
        "response": invitee.response.value,
        "response_channel": invitee.response_channel.value if invitee.response_channel
        else None,
        "decline_reason": invitee.decline_reason,
        "response_note": invitee.response_note,
        "registration_id": invitee.registration_id,
        "bounce_reason": invitee.bounce_reason,
        "steps": {
            "first_queued_at": iso(progress.first_queued_at),
            "first_sent_at": iso(progress.first_sent_at),
            "last_failed_at": iso(progress.last_failed_at),
            "responded_at": iso(progress.responded_at),
            "registered_at": iso(progress.registered_at),
            "checked_in_at": iso(progress.checked_in_at),
            "unsubscribed_at": iso(progress.unsubscribed_at),
            "bounced_at": iso(progress.bounced_at),
        },
        "created_at": iso(invitee.created_at),
        "updated_at": iso(invitee.updated_at),
    }


def mailing_json(mailing: Mailing, progress: Progress) -> dict:
    return {
        "id": mailing.id,
        "event_id": mailing.event_id,
        "kind": mailing.kind.value,
        "audience": {
            "audience": mailing.audience.get("audience", ""),
            "group": mailing.audience.get("group"),
            "statuses": list(mailing.audience.get("statuses", [])),
        },
        "attach_calendar": mailing.attach_calendar,
        "recipient_count": mailing.recipient_count,
        "created_at": iso(mailing.created_at),
        "prepared_at": iso(mailing.prepared_at),
        "state": mailing_state(mailing),
        "scheduled_at": iso(mailing.scheduled_at),
        "started_at": iso(mailing.started_at),
        "cancelled_at": iso(mailing.cancelled_at),
        "automatic": mailing.automatic or None,
        "progress": {
            "total": progress.total,
            "sent": progress.sent,
            "queued": progress.queued,
            "failed": progress.failed,
            "prepared": progress.prepared,
            "done": progress.done,
        },
    }
