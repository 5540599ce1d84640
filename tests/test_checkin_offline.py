"""The offline check-in desk: the list a device keeps, and arrivals synced afterwards."""

import json
from datetime import timedelta

import pytest

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, RegistrationStatus, utcnow
from seminar_app.services.registration import checkin
from tests.conftest import csrf_token
from tests.factories import add_registration, add_team_member, logged_in, registration_event


@pytest.fixture
def event(db, make_user):
    return registration_event(make_user("organizer"))


@pytest.fixture
def desk_user(event, make_user):
    user = make_user("staff", name="Door Officer")
    add_team_member(event, user, can_checkin=True)
    return user


def _iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_roster_holds_badge_fields_of_confirmed_delegates_only(event):
    siti = add_registration(event, given_name="Siti", family_name="Rahma", phone="+6221555",
                            passport_number="B7654321")
    add_registration(event, status=RegistrationStatus.WAITLISTED)
    roster = checkin.checkin_roster(event)
    assert [entry["id"] for entry in roster] == [siti.id]
    assert set(roster[0]) == {"id", "name", "organisation", "country", "role", "code",
                              "reference", "checked_in_at"}
    assert "B7654321" not in json.dumps(roster) and siti.email not in json.dumps(roster)


def test_sync_records_the_device_time(event, desk_user):
    siti = add_registration(event)
    scanned = utcnow().replace(microsecond=0) - timedelta(minutes=20)
    [answer] = checkin.sync_offline_arrivals(
        event, [{"code": siti.badge_code.lower(), "at": _iso(scanned)}], user=desk_user)
    assert answer.outcome == "checked_in" and answer.checked_in_at == scanned
    db.session.refresh(siti)
    assert siti.checked_in_at == scanned and siti.checked_in_by_id == desk_user.id
    entry = db.session.query(AuditEntry).filter_by(action="registration.check_in").one()
    assert entry.details["offline"] is True


def test_the_first_time_stands_whichever_desk_syncs_last(event, desk_user):
    siti = add_registration(event)
    early, late = utcnow() - timedelta(minutes=30), utcnow() - timedelta(minutes=5)
    # desk B was online and checked Siti in at `late`; desk A scanned her at `early` offline
    checkin.sync_offline_arrivals(event, [{"code": siti.badge_code, "at": _iso(late)}],
                                  user=desk_user)
    [answer] = checkin.sync_offline_arrivals(
        event, [{"code": siti.reference, "at": _iso(early)}], user=desk_user)
    assert answer.outcome == "checked_in"
    assert answer.checked_in_at == early.replace(microsecond=answer.checked_in_at.microsecond)
    # a later report changes nothing and says so
    [again] = checkin.sync_offline_arrivals(
        event, [{"code": siti.badge_code, "at": _iso(late)}], user=desk_user)
    assert again.outcome == "already" and again.checked_in_at == answer.checked_in_at


def test_sync_refuses_unknown_and_unconfirmed_and_never_trusts_a_future_clock(event, desk_user,
                                                                              make_user):
    other_event = registration_event(make_user("organizer"))
    stranger = add_registration(other_event)
    waiting = add_registration(event, status=RegistrationStatus.WAITLISTED)
    ok = add_registration(event)
    future = utcnow() + timedelta(days=2)
    answers = checkin.sync_offline_arrivals(event, [
        {"code": stranger.badge_code, "at": _iso(utcnow())},
        {"code": waiting.badge_code},
        {"code": ok.badge_code, "at": _iso(future)},
        {"code": None, "at": "yesterday"},
        "not even a dict",
    ], user=desk_user)
    assert [a.outcome for a in answers] == ["refused", "refused", "checked_in", "refused",
                                            "refused"]
    assert answers[2].checked_in_at <= utcnow()
    db.session.refresh(stranger)
    assert stranger.checked_in_at is None


def test_sync_view_needs_checkin_rights_and_valid_json(app, event, desk_user, make_user):
    siti = add_registration(event)
    url = f"/manage/events/{event.id}/checkin/sync"
    client = logged_in(app, desk_user)
    token = csrf_token(client)
    headers = {"X-CSRFToken": token}
    assert client.post(url, data="{not json", headers=headers,
                       content_type="application/json").status_code == 400
    assert client.post(url, json={"arrivals": "x"}, headers=headers).status_code == 400
    response = client.post(url, json={"arrivals": [{"code": siti.badge_code}]}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["results"][0]["outcome"] == "checked_in"
    assert body["arrived"] == 1 and body["registrations"][0]["checked_in_at"]
    assert response.headers["Cache-Control"] == "no-store"

    outsider = logged_in(app, make_user("staff"))
    refused = outsider.post(url, json={"arrivals": []},
                            headers={"X-CSRFToken": csrf_token(outsider)})
    assert refused.status_code == 403
    assert outsider.get(f"/manage/events/{event.id}/checkin/roster").status_code == 403


def test_roster_view(app, event, desk_user):
    add_registration(event, given_name="Ana", family_name="Pereira", country="TL")
    client = logged_in(app, desk_user)
    response = client.get(f"/manage/events/{event.id}/checkin/roster")
    assert response.status_code == 200
    [entry] = response.get_json()["registrations"]
    assert entry["name"].endswith("Ana Pereira") and entry["country"] == "Timor-Leste"
