"""The offline check-in desk: the list a device keeps, and arrivals synced afterwards."""

import gzip
import json
from datetime import timedelta

import pytest

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    DelegationRole,
    Honorific,
    Registration,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.registration import checkin
from tests.conftest import csrf_token
from tests.factories import (
    _code,
    add_registration,
    add_team_member,
    logged_in,
    registration_event,
)


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


def _people(changes) -> dict[int, dict]:
    return {row[0]: dict(zip(checkin.ROSTER_FIELDS, row, strict=True)) for row in changes.rows}


def test_roster_holds_badge_fields_of_confirmed_delegates_only(event):
    siti = add_registration(event, given_name="Siti", family_name="Rahma", phone="+6221555",
                            passport_number="B7654321", country="ID")
    add_registration(event, status=RegistrationStatus.WAITLISTED)
    changes = checkin.roster_changes(event)
    assert changes.full and changes.removed == []
    assert list(_people(changes)) == [siti.id]
    entry = _people(changes)[siti.id]
    assert entry["country"] == "ID" and changes.countries == {"ID": "Indonesia"}
    assert entry["code"] == siti.badge_code and entry["checked_in_at"] is None
    assert changes.roles[entry["role"]]
    dumped = json.dumps(changes.rows)
    assert "B7654321" not in dumped and siti.email not in dumped and "+6221555" not in dumped


def test_a_desk_gets_only_what_changed_since_its_version(event, desk_user):
    siti, budi, cici = (add_registration(event, family_name=name)
                        for name in ("Aaa", "Bbb", "Ccc"))
    first = checkin.roster_changes(event)
    assert len(first.rows) == 3
    # nothing changed: nothing but the version comes back
    later = utcnow() + timedelta(minutes=5)
    db.session.query(Registration).update({"updated_at": utcnow() - timedelta(hours=1)})
    db.session.commit()
    quiet = checkin.roster_changes(event, first.version)
    assert not quiet.full and quiet.rows == [] and quiet.removed == []
    # an arrival, a cancellation and a new delegate since then
    checkin.check_in(event, user=desk_user, registration_id=siti.id)
    budi.status = RegistrationStatus.CANCELLED
    db.session.commit()
    dedi = add_registration(event, family_name="Ddd")
    changes = checkin.roster_changes(event, first.version)
    assert not changes.full
    assert set(_people(changes)) == {siti.id, dedi.id}
    assert _people(changes)[siti.id]["checked_in_at"]
    assert changes.removed == [budi.id]
    assert cici.id not in _people(changes)
    # a version from the future, unreadable or too old gets the whole list
    for version in (checkin.roster_version(later), "yesterday", "2020-01-01T00:00:00Z"):
        again = checkin.roster_changes(event, version)
        assert again.full and set(_people(again)) == {siti.id, cici.id, dedi.id}


#: names in four scripts, as at the forums (bench/ uses the same mix)
_NAMES = [("Siti", "Rahmawati"), ("Nguyễn", "Thị Lan"), ("Сергей", "Иванов"),
          ("محمد", "عبد الله"), ("Ana", "Pereira"), ("สมชาย", "ใจดี")]


def _many_delegates(event, count: int) -> None:
    """``count`` confirmed delegates with random codes (as real ones are), stored at once."""
    now = utcnow()
    countries = ("ID", "TL", "TH", "VN", "MY", "PH", "BR", "ZA", "KE", "EG")
    db.session.add_all(Registration(
        event_id=event.id, reference=f"{_code(4)}-{_code(4)}", badge_code=_code(16),
        status=RegistrationStatus.CONFIRMED, honorific=Honorific.MS,
        given_name=_NAMES[number % len(_NAMES)][0],
        family_name=f"{_NAMES[number % len(_NAMES)][1]} {number}",
        email=f"bulk{number}@example.org", country=countries[number % len(countries)],
        organisation=f"Embassy of {countries[number % len(countries)]} in Jakarta",
        delegation_role=DelegationRole.DELEGATE, consent_at=now, confirmed_at=now)
        for number in range(count))
    db.session.commit()


def test_the_list_of_ten_thousand_stays_small_compressed(app, event, desk_user):
    """A desk's first download at 2,000 delegates, compressed: the budget of 400 KB for 10,000
    delegates is 40 bytes per delegate (bench/ measures the 10,000 itself)."""
    _many_delegates(event, 2000)
    client = logged_in(app, desk_user)
    response = client.get(f"/manage/events/{event.id}/checkin/roster",
                          headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    compressed = len(response.get_data())
    body = json.loads(gzip.decompress(response.get_data()))
    assert len(body["rows"]) == 2000 and body["full"] is True
    assert compressed <= 2000 * 40, compressed
    plain = client.get(f"/manage/events/{event.id}/checkin/roster")
    assert "Content-Encoding" not in plain.headers and len(plain.get_json()["rows"]) == 2000


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
    assert body["arrived"] == 1
    [row] = body["rows"]
    assert row[0] == siti.id and row[body["fields"].index("checked_in_at")]
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
    body = response.get_json()
    [row] = body["rows"]
    entry = dict(zip(body["fields"], row, strict=True))
    assert entry["name"].endswith("Ana Pereira") and body["countries"][entry["country"]] \
        == "Timor-Leste"
