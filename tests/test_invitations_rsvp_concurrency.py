"""One invitation, many simultaneous acceptances: exactly one registration is made and bound.

Against the real server (waitress) on the session's database, like tests/test_concurrency.py:
browsers that received the same forwarded invitation post its registration form at once, each
with their own email. The invitation's check and the binding run in the registration's locked
transaction, so only one succeeds; the others get a clear 409 and store nothing.
"""

from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import InvitationResponse, Invitee, Registration
from seminar_app.services.invitations import invitations
from tests.factories import add_invitee, form_fields, registration_event
from tests.test_concurrency import _no_rate_limits, live_server, rush  # noqa: F401 - fixtures


def test_simultaneous_acceptances_of_one_invitation_make_one_registration(
        live_server, make_user):  # noqa: F811
    event = registration_event(make_user("organizer"), capacity=50)
    invitee = add_invitee(event)
    path = f"/i/{invitations.invitee_token(invitee)}/register"
    payloads = [form_fields(email=f"colleague{i}@example.org", phone="") for i in range(10)]
    payloads.append(form_fields(email=invitee.email, phone=""))
    codes = rush(live_server, path, payloads)
    assert codes.count(303) == 1 and set(codes) <= {303, 409}, codes
    db.session.rollback()
    registrations = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id)).all()
    assert len(registrations) == 1
    row = db.session.get(Invitee, invitee.id)
    assert row.registration_id == registrations[0].id
    assert row.response == InvitationResponse.ACCEPTED
