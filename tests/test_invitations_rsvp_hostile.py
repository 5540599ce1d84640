"""Hostile input on the invitation pages: random, huge, malformed and forged form data sent to
the decline and register forms of /i/<token> never gives a 500, and a refusal changes nothing.

Each hypothesis example starts from a fresh invitee (the cleaning fixture runs per test, not per
example), so an accepted example does not turn the next one into a "second registration".
"""

from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from seminar_app.extensions import db, limiter
from seminar_app.models import AuditEntry, InvitationResponse, Invitee, OutboxEmail, Registration
from seminar_app.services.invitations import invitations
from tests.conftest import csrf_token
from tests.factories import add_invitee, form_fields, registration_event
from tests.test_hostile_input import hostile_text, mutated, query_strings

HYPOTHESIS = settings(max_examples=30, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
_numbers = count(1)


def _state(invitee) -> tuple:
    db.session.expire_all()
    row = db.session.get(Invitee, invitee.id)
    counts = tuple(db.session.scalar(select(func.count()).select_from(model))
                   for model in (Registration, AuditEntry, OutboxEmail))
    return (row.response, row.decline_reason, row.registration_id, *counts)


def _fresh_invitee(event):
    return add_invitee(event, email=f"hostile{next(_numbers)}@example.org",
                       name="Khamphone Sisoulath", country="LA")


def _check(client, invitee, path: str, data: dict) -> int:
    limiter.reset()
    before = _state(invitee)
    url = f"/i/{invitations.invitee_token(invitee)}{path}"
    response = client.post(url, data={**data, "csrf_token": csrf_token(client)})
    assert response.status_code < 500, (url, data, response.status_code)
    if response.status_code >= 400:
        assert _state(invitee) == before, f"a refused POST changed something: {data!r}"
    return response.status_code


@given(data=st.data())
@HYPOTHESIS
def test_decline_form_survives_hostile_input(app, client, make_user, data):
    event = registration_event(make_user("organizer"))
    invitee = _fresh_invitee(event)
    payload = data.draw(mutated({"reason": "Another mission"}))
    status = _check(client, invitee, "/decline", payload)
    db.session.expire_all()
    row = db.session.get(Invitee, invitee.id)
    if status == 303:
        assert row.response == InvitationResponse.DECLINED
        assert "<" not in row.decline_reason and len(row.decline_reason) <= 1000
        assert not any(ord(ch) < 9 for ch in row.decline_reason)


@given(reason=hostile_text)
@HYPOTHESIS
def test_decline_reason_alone_survives_hostile_text(app, client, make_user, reason):
    event = registration_event(make_user("organizer"))
    _check(client, _fresh_invitee(event), "/decline", {"reason": reason})


@given(data=st.data())
@HYPOTHESIS
def test_register_form_survives_hostile_input(app, client, make_user, data):
    event = registration_event(make_user("organizer"))
    invitee = _fresh_invitee(event)
    base = form_fields(email=invitee.email, country="LA", phone="")
    status = _check(client, invitee, "/register", data.draw(mutated(base)))
    if status == 303:
        db.session.expire_all()
        row = db.session.get(Invitee, invitee.id)
        assert row.response == InvitationResponse.ACCEPTED and row.registration_id is not None


@given(query=query_strings(("lang", "token", "next")))
@HYPOTHESIS
def test_invitation_pages_survive_hostile_query_strings(app, client, make_user, query):
    event = registration_event(make_user("organizer"))
    invitee = _fresh_invitee(event)
    before = _state(invitee)
    for path in ("", "/register", "/decline"):
        limiter.reset()
        response = client.get(f"/i/{invitations.invitee_token(invitee)}{path}",
                              query_string=query)
        assert response.status_code == 200, (path, query)
    assert _state(invitee) == before


@given(token=st.text(max_size=200))
@HYPOTHESIS
def test_random_tokens_are_never_a_500(app, client, token):
    limiter.reset()
    response = client.get("/i/" + token.replace("/", "_").replace("?", "_").replace("#", "_"))
    assert response.status_code < 500 and response.status_code != 200
