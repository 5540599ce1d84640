"""The core of invitations: checking invitee details, adding them, their personal links."""

import pytest

from seminar_app.models import Honorific, Invitee
from seminar_app.services.errors import Conflict, NotFound, ServiceError
from seminar_app.services.invitations import invitations
from tests.factories import add_invitee, past, registration_event


@pytest.fixture
def event(db, make_user):
    return registration_event(make_user("organizer"))


def test_check_reports_every_bad_field_at_once(app):
    with app.test_request_context():
        values, errors = invitations.check_invitee_values(
            {"name": "", "email": "not-an-email", "country": "XX", "language": "fr",
             "honorific": "king", "organisation": "<b>Ministry</b>"})
    assert set(errors) == {"name", "email", "country", "language", "honorific", "organisation"}


def test_check_normalizes(app):
    with app.test_request_context():
        values, errors = invitations.check_invitee_values(
            {"name": "  Siti\x00  Rahma ", "email": "Siti@Example.ORG", "country": "id",
             "language": "ID", "honorific": "DR", "honorific_other": "ignored"})
    assert errors == {}
    assert values["name"] == "Siti Rahma"
    assert values["email"] == "siti@example.org"
    assert values["country"] == "ID" and values["language"] == "id"
    assert values["honorific"] == Honorific.DR and values["honorific_other"] == ""


def test_add_refuses_a_duplicate_email(event):
    add_invitee(event, email="one@example.org")
    with pytest.raises(Conflict) as caught:
        add_invitee(event, email="ONE@example.org")
    assert caught.value.field == "email"


def test_add_refuses_bad_values_and_stores_nothing(event, db):
    with pytest.raises(ServiceError):
        add_invitee(event, email="broken")
    assert db.session.query(Invitee).count() == 0


def test_link_token_opens_its_invitee_only(event, app):
    first, second = add_invitee(event), add_invitee(event)
    token = invitations.invitee_token(first)
    assert invitations.get_invitee_by_token(token).id == first.id
    assert invitations.invitee_token(first) == token  # stable: every email carries the same link
    assert token != invitations.invitee_token(second)
    assert token not in (first.token_hash, first.token_salt)
    with pytest.raises(NotFound):
        invitations.get_invitee_by_token(token[:-1] + ("A" if token[-1] != "A" else "B"))


def test_a_new_secret_key_or_salt_revokes_the_link(event, app, monkeypatch, db):
    invitee = add_invitee(event)
    token = invitations.invitee_token(invitee)
    invitations.rotate_invitee_link(invitee)
    db.session.commit()
    with pytest.raises(NotFound):
        invitations.get_invitee_by_token(token)
    fresh = invitations.invitee_token(invitee)
    monkeypatch.setitem(app.config, "SECRET_KEY", "another secret")
    assert invitations.invitee_token(invitee) != fresh


def test_link_expires_when_the_event_ends(event, db):
    invitee = add_invitee(event)
    assert not invitations.link_is_expired(invitee)
    event.start_at, event.end_at = past(3), past(2)
    db.session.commit()
    assert invitations.link_is_expired(invitee)


def test_delete_refuses_a_registered_invitee(event, db):
    from tests.factories import add_registration

    invitee = add_invitee(event)
    invitee.registration_id = add_registration(event).id
    db.session.commit()
    with pytest.raises(Conflict):
        invitations.delete_invitee(invitee)
