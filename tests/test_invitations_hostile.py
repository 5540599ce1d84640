"""Hostile input on the staff invitation forms: the wording, the compose form and the answer
recorded by hand. Random, huge, malformed and forged values never give a 500, and a refused
POST changes nothing (no template, mailing, outbox row or audit entry appears)."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from seminar_app.extensions import db, limiter
from seminar_app.models import AuditEntry, Invitee, Mailing, MessageTemplate, OutboxEmail
from tests.conftest import csrf_token
from tests.factories import add_invitee, logged_in, registration_event
from tests.test_hostile_input import mutated

HYPOTHESIS = settings(max_examples=25, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
COUNTED = (MessageTemplate, Mailing, OutboxEmail, AuditEntry)


def _counts() -> tuple:
    db.session.expire_all()
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in COUNTED)


def _post(client, url: str, data: dict) -> int:
    limiter.reset()
    before = _counts()
    response = client.post(url, data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code < 500, (url, data, response.status_code)
    if response.status_code >= 400:
        assert _counts() == before, f"a refused POST changed something: {data!r}"
    return response.status_code


def _setup(app, make_user):
    owner = make_user("organizer")
    event = registration_event(owner)
    invitee = add_invitee(event)
    return logged_in(app, owner), event, invitee


@given(data=st.data())
@HYPOTHESIS
def test_wording_form_survives_hostile_input(app, make_user, data):
    client, event, _invitee = _setup(app, make_user)
    payload = data.draw(mutated({"subject_en": "Invitation: {event}",
                                 "body_en": "Dear {honorific} {name},\n\n{rsvp_link}",
                                 "subject_id": "Undangan: {event}",
                                 "body_id": "Yth. {name},\n\n{rsvp_link}"}))
    kind = data.draw(st.sampled_from(["invitation", "reminder", "announcement"]))
    _post(client, f"/manage/events/{event.id}/invitations/templates/{kind}", payload)


@given(data=st.data())
@HYPOTHESIS
def test_compose_form_survives_hostile_input(app, make_user, data):
    client, event, _invitee = _setup(app, make_user)
    payload = data.draw(mutated({"audience": "all", "group": "", "attach_calendar": "y",
                                 "send_key": "k" * 32, "kind": "invitation",
                                 "include_answered": "y", "confirmed": "1", "expected": "1"}))
    kind = data.draw(st.sampled_from(["invitation", "reminder", "announcement", "x" * 300]))
    _post(client, f"/manage/events/{event.id}/invitations/mailings/new?kind={kind}", payload)


@given(data=st.data())
@HYPOTHESIS
def test_recorded_answer_survives_hostile_input(app, make_user, data):
    client, event, invitee = _setup(app, make_user)
    payload = data.draw(mutated({"answer-response": "accepted", "answer-channel": "note_verbale",
                                 "answer-answered_on": "2026-11-20",
                                 "answer-note": "Note verbale No. 123/2026"}))
    before = db.session.get(Invitee, invitee.id).response
    status = _post(client, f"/manage/events/{event.id}/invitations/{invitee.id}/response",
                   payload)
    if status >= 400:
        db.session.expire_all()
        assert db.session.get(Invitee, invitee.id).response == before
