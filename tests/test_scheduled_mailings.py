"""Scheduled mailings: made from the compose page or the API, shown as scheduled, moved or
cancelled until they start, started by the worker's periodic task once (conditional claim),
with their audience evaluated at that time; delivered over real SMTP in each language."""

import re
import secrets
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from seminar_app.extensions import db as _db
from seminar_app.models import AuditEntry, Mailing, MailingKind, utcnow
from seminar_app.services.accounts import api_tokens
from seminar_app.services.errors import ServiceError
from seminar_app.services.invitations import mailings, scheduling
from tests.conftest import post_form
from tests.factories import add_invitee, registration_event


@pytest.fixture
def owner(make_user):
    return make_user()


@pytest.fixture
def event(owner):
    return registration_event(owner)


def _base(event):
    return f"/manage/events/{event.id}/invitations"


def _schedule(event, when, **audience):
    return mailings.create_mailing(event, MailingKind.INVITATION, {"audience": "all", **audience},
                                   send_key=secrets.token_urlsafe(24), scheduled_at=when)[0]


def _due(mailing):
    """Move the mailing's time into the past, as if the clock had reached it."""
    _db.session.execute(Mailing.__table__.update().where(Mailing.id == mailing.id)
                        .values(scheduled_at=utcnow() - timedelta(seconds=5)))
    _db.session.commit()


def _send_key(html):
    return re.search(r'name="send_key"[^>]*value="([^"]+)"', html).group(1)


def test_scheduled_mailing_waits_then_starts_with_the_audience_of_that_time(app, event,
                                                                           smtp_server):
    add_invitee(event, language="en")
    mailing = _schedule(event, utcnow() + timedelta(hours=2))
    assert mailing.started_at is None and mailing.recipient_count == 1
    assert scheduling.start_due_mailings() == []  # not due yet
    assert _db.session.scalar(select(Mailing.prepared_at).where(Mailing.id == mailing.id)) \
        is None
    add_invitee(event, language="id")  # joins the audience before the time
    _due(mailing)
    assert scheduling.start_due_mailings() == [mailing.id]
    messages = smtp_server.wait_for(2)
    subjects = sorted(str(message["message"]["Subject"]) for message in messages)
    assert subjects[0].startswith("Invitation") and subjects[1].startswith("Undangan")
    _db.session.expire_all()
    mailing = _db.session.get(Mailing, mailing.id)
    assert mailing.recipient_count == 2 and mailing.started_at is not None
    assert scheduling.start_due_mailings() == []  # never twice
    assert _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mailing.start"))


def test_a_cancelled_mailing_never_starts(app, event, owner, smtp_server):
    add_invitee(event)
    mailing = _schedule(event, utcnow() + timedelta(hours=1))
    scheduling.cancel_scheduled_mailing(mailing, actor=owner)
    _due(mailing)
    assert scheduling.start_due_mailings() == []
    assert smtp_server.messages == []
    assert scheduling.mailing_state(_db.session.get(Mailing, mailing.id)) == "cancelled"
    assert not scheduling.cancelled_at_its_time(mailing)  # staff did


def test_two_workers_racing_start_it_once(app, event):
    """Two threads (two workers' sessions) start the same due mailing at the same moment."""
    for _ in range(3):
        add_invitee(event)
    mailing = _schedule(event, utcnow() + timedelta(hours=1))
    _due(mailing)
    mailing_id, results, barrier = mailing.id, [], threading.Barrier(2)
    _db.session.rollback()  # this test's own session holds nothing while the workers run

    def worker():
        with app.app_context():
            barrier.wait()
            results.append(scheduling.start_mailing(mailing_id))
            _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


def test_bad_times_and_started_mailings_are_refused(app, event, owner):
    add_invitee(event)
    with pytest.raises(ServiceError) as error:
        _schedule(event, utcnow() - timedelta(minutes=1))
    assert error.value.field == "scheduled_at"
    with pytest.raises(ServiceError):
        _schedule(event, utcnow() + timedelta(days=400))
    mailing = _schedule(event, utcnow() + timedelta(hours=1))
    _due(mailing)
    scheduling.start_due_mailings()
    mailing = _db.session.get(Mailing, mailing.id)
    with pytest.raises(scheduling.NotScheduled):
        scheduling.cancel_scheduled_mailing(mailing, actor=owner)
    with pytest.raises(scheduling.NotScheduled):
        scheduling.update_scheduled_mailing(mailing, actor=owner,
                                            scheduled_at=utcnow() + timedelta(days=1))


@pytest.mark.parametrize("language", ["en", "id"])
def test_compose_schedule_move_and_cancel_from_the_pages(app, client, auth, owner, event,
                                                         language):
    add_invitee(event)
    auth.login(owner)
    client.set_cookie("lang", language)
    headers = {"Accept-Language": language}
    page = client.get(f"{_base(event)}/mailings/new?kind=invitation", headers=headers)
    html = page.get_data(as_text=True)
    assert 'name="scheduled_for"' in html
    when = (utcnow() + timedelta(days=2)).astimezone(
        ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%dT%H:%M")
    data = {"audience": "all", "group": "", "send_key": _send_key(html), "kind": "invitation",
            "scheduled_for": when}
    confirm = post_form(client, f"{_base(event)}/mailings/new?kind=invitation", data,
                        headers=headers)
    assert confirm.status_code == 200 and b"data-scheduled" in confirm.data
    done = post_form(client, f"{_base(event)}/mailings/new?kind=invitation",
                     {**data, "confirmed": "1", "expected": "1"}, headers=headers)
    assert done.status_code == 303
    mailing = _db.session.scalar(select(Mailing))
    assert mailing.scheduled_at is not None and mailing.started_at is None
    listing = client.get(f"{_base(event)}/mailings", headers=headers).get_data(as_text=True)
    assert 'data-state="scheduled"' in listing
    assert ("Scheduled for" if language == "en" else "Dijadwalkan untuk") in listing
    # a time in the past: a clear message next to the field, 422
    past = post_form(client, f"{_base(event)}/mailings/{mailing.id}/reschedule",
                     {"scheduled_for": "2020-01-01T09:00"}, headers=headers)
    assert past.status_code == 422
    assert ("this one has passed" if language == "en" else "sudah lewat") in \
        past.get_data(as_text=True)
    bad = post_form(client, f"{_base(event)}/mailings/{mailing.id}/reschedule",
                    {"scheduled_for": "not a date"}, headers=headers)
    assert bad.status_code == 422
    later = post_form(client, f"{_base(event)}/mailings/{mailing.id}/reschedule",
                      {"scheduled_for": f"{when[:11]}23{when[13:]}"}, headers=headers)
    assert later.status_code == 303
    cancel = post_form(client, f"{_base(event)}/mailings/{mailing.id}/cancel", headers=headers)
    assert cancel.status_code == 303
    shown = client.get(f"{_base(event)}/mailings/{mailing.id}", headers=headers)
    assert b'data-state="cancelled"' in shown.data
    # a cancelled mailing cannot be moved again
    moved = post_form(client, f"{_base(event)}/mailings/{mailing.id}/reschedule",
                      {"scheduled_for": when}, headers=headers)
    assert moved.status_code == 409


def test_cancelling_a_started_mailing_is_a_409(app, client, auth, owner, event):
    add_invitee(event)
    mailing = mailings.create_mailing(event, MailingKind.INVITATION, {"audience": "all"},
                                      send_key=secrets.token_urlsafe(24))[0]
    auth.login(owner)
    response = post_form(client, f"{_base(event)}/mailings/{mailing.id}/cancel")
    assert response.status_code == 409
    assert b"already started" in response.data


def test_other_users_cannot_cancel(app, client, auth, make_user, event):
    add_invitee(event)
    mailing = _schedule(event, utcnow() + timedelta(hours=1))
    url = f"{_base(event)}/mailings/{mailing.id}/cancel"
    assert post_form(client, url).status_code in (302, 303, 401)
    auth.login(make_user(email="stranger@example.org"))
    assert post_form(client, url).status_code in (403, 404)
    assert _db.session.get(Mailing, mailing.id).cancelled_at is None


def _api(secret, language="en"):
    return {"Authorization": f"Bearer {secret}", "Accept-Language": language}


@pytest.mark.parametrize("language", ["en", "id"])
def test_api_schedules_changes_and_cancels(app, client, owner, event, language):
    add_invitee(event)
    secret = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    url = f"/api/v1/events/{event.id}/mailings"
    when = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")  # in the event's zone
    created = client.post(url, json={"kind": "invitation", "scheduled_at": when},
                          headers={**_api(secret, language),
                                   "Idempotency-Key": secrets.token_urlsafe(16)})
    assert created.status_code == 201, created.json
    data = created.json["data"]
    assert data["state"] == "scheduled" and data["started_at"] is None
    assert data["scheduled_at"] and data["automatic"] is None
    one = f"{url}/{data['id']}"
    moved = client.patch(one, json={"scheduled_at": "2099-01-01T09:00:00+07:00"},
                         headers=_api(secret, language))
    assert moved.status_code == 422  # too far ahead
    moved = client.patch(one, json={"scheduled_at": (utcnow() + timedelta(days=3))
                                    .strftime("%Y-%m-%dT%H:%M:%SZ")},
                         headers=_api(secret, language))
    assert moved.status_code == 200 and moved.json["data"]["state"] == "scheduled"
    for bad in ("2026-02-30T09:00", "yesterday", "2020-01-01T09:00:00Z"):
        answer = client.patch(one, json={"scheduled_at": bad}, headers=_api(secret, language))
        assert answer.status_code == 422, bad
        assert "scheduled_at" in answer.json["error"].get("fields", {}) or \
            answer.json["error"]["message"]
    cancelled = client.post(f"{one}/cancel", headers=_api(secret, language))
    assert cancelled.status_code == 200 and cancelled.json["data"]["state"] == "cancelled"
    again = client.patch(one, json={"attach_calendar": True}, headers=_api(secret, language))
    assert again.status_code == 409
    started = client.post(url, json={"kind": "invitation"},
                          headers={**_api(secret, language),
                                   "Idempotency-Key": secrets.token_urlsafe(16)})
    assert started.json["data"]["state"] == "started"
    refused = client.post(f"{url}/{started.json['data']['id']}/cancel",
                          headers=_api(secret, language))
    assert refused.status_code == 409
    expected = "already started" if language == "en" else "sudah dimulai"
    assert expected in refused.json["error"]["message"]


@pytest.mark.parametrize("language", ["en", "id"])
def test_change_recipients_time_and_wording_before_it_starts(app, client, auth, owner, event,
                                                              smtp_server, language):
    add_invitee(event, group_name="ASEAN", language=language)
    add_invitee(event, group_name="Pacific", language=language)
    mailing = _schedule(event, utcnow() + timedelta(hours=5))
    auth.login(owner)
    client.set_cookie("lang", language)
    url = f"{_base(event)}/mailings/{mailing.id}/edit"
    page = client.get(url)
    assert page.status_code == 200
    assert ("Change the scheduled mailing" if language == "en"
            else "Ubah pengiriman terjadwal") in page.get_data(as_text=True)
    when = (utcnow() + timedelta(days=1)).astimezone(ZoneInfo("Asia/Jakarta"))
    form = {"scheduled_for": when.strftime("%Y-%m-%dT%H:%M"), "audience": "group",
            "group": "Pacific", "subject_en": "Changed {event}", "body_en": "Hello {name}",
            "subject_id": "Diubah {event}", "body_id": "Halo {name}"}
    bad = post_form(client, url, {**form, "body_en": "Hello {unknown}"})
    assert bad.status_code == 422
    past = post_form(client, url, {**form, "scheduled_for": "2001-01-01T00:00"})
    assert past.status_code == 422
    assert post_form(client, url, form).status_code == 303
    _db.session.expire_all()
    mailing = _db.session.get(Mailing, mailing.id)
    assert mailing.audience["group"] == "Pacific" and mailing.recipient_count == 1
    assert mailing.content["en"]["subject"] == "Changed {event}"
    _due(mailing)
    assert scheduling.start_due_mailings() == [mailing.id]
    message = smtp_server.wait_for(1)[0]["message"]
    expected = "Changed" if language == "en" else "Diubah"
    assert str(message["Subject"]).startswith(expected)
    shown = client.get(url)  # started: the mailing's page says so, nothing to change
    assert shown.status_code == 200 and b'data-state="started"' in shown.data
    assert post_form(client, url, form).status_code == 409


@pytest.mark.parametrize("language", ["en", "id"])
def test_compose_refuses_a_past_time_and_a_non_date(app, client, auth, owner, event, language):
    add_invitee(event)
    auth.login(owner)
    client.set_cookie("lang", language)
    html = client.get(f"{_base(event)}/mailings/new?kind=invitation").get_data(as_text=True)
    data = {"audience": "all", "group": "", "send_key": _send_key(html), "kind": "invitation",
            "confirmed": "1", "expected": "1"}
    past = post_form(client, f"{_base(event)}/mailings/new?kind=invitation",
                     {**data, "scheduled_for": "2020-05-01T09:00"})
    assert past.status_code == 422
    assert ("this one has passed" if language == "en" else "sudah lewat") in \
        past.get_data(as_text=True)
    garbage = post_form(client, f"{_base(event)}/mailings/new?kind=invitation",
                        {**data, "scheduled_for": "31/02/2027 25:00"})
    assert garbage.status_code == 422
    assert _db.session.scalar(select(Mailing)) is None


def test_api_changes_the_audience_and_read_only_tokens_are_refused(app, client, owner, event):
    add_invitee(event, group_name="ASEAN")
    add_invitee(event, group_name="Pacific")
    writer = api_tokens.create_token(owner, name="Website", can_write=True)[1]
    reader = api_tokens.create_token(owner, name="Reader")[1]
    mailing = _schedule(event, utcnow() + timedelta(hours=3))
    one = f"/api/v1/events/{event.id}/mailings/{mailing.id}"
    assert client.patch(one, json={"audience": "group", "group": "ASEAN"},
                        headers=_api(reader)).status_code == 403
    assert client.post(f"{one}/cancel", headers=_api(reader)).status_code == 403
    changed = client.patch(one, json={"audience": "group", "group": "ASEAN"},
                           headers=_api(writer))
    assert changed.status_code == 200
    assert changed.json["data"]["audience"]["group"] == "ASEAN"
    assert changed.json["data"]["recipient_count"] == 1
    wrong = client.patch(one, json={"audience": "registered"}, headers=_api(writer))
    assert wrong.status_code == 422
    listed = client.get(f"/api/v1/events/{event.id}/mailings", headers=_api(reader))
    assert listed.json["data"][0]["state"] == "scheduled"


@pytest.mark.parametrize("language, text", [
    ("en", "because the feedback survey was not open then"),
    ("id", "karena survei umpan balik tidak sedang dibuka")])
def test_a_survey_mailing_whose_survey_closed_is_cancelled_at_its_time(app, client, auth, owner,
                                                                        smtp_server, language,
                                                                        text):
    """Its links would lead to a survey that takes no answers: it never goes, the audit log
    says why, and so does its page."""
    from seminar_app.services.surveys import surveys
    from tests.factories import add_registration

    start = (utcnow() - timedelta(days=2)).replace(microsecond=0)
    event = registration_event(owner, start_at=start)
    add_registration(event, email="came@example.org", language="id", checked_in_at=start)
    survey = surveys.get_or_create_survey(event)
    surveys.add_question(survey, kind="rating", required=True, texts={
        "en": {"label": "How useful was the forum?"},
        "id": {"label": "Seberapa bermanfaat forum ini?"}})
    surveys.open_survey(survey)
    mailing = mailings.create_mailing(event, MailingKind.SURVEY, {"audience": "checked_in"},
                                      send_key=secrets.token_urlsafe(24),
                                      scheduled_at=utcnow() + timedelta(hours=1))[0]
    surveys.close_survey(survey)
    _due(mailing)
    assert scheduling.start_due_mailings() == []
    assert scheduling.mailing_state(_db.session.get(Mailing, mailing.id)) == "cancelled"
    entry = _db.session.scalar(select(AuditEntry).where(AuditEntry.action == "mailing.cancel"))
    assert entry is not None and "survey" in str(entry.details).lower()
    assert scheduling.start_due_mailings() == []  # and never later
    assert smtp_server.messages == []
    auth.login(owner)
    client.set_cookie("lang", language)
    page = client.get(f"{_base(event)}/mailings/{mailing.id}").get_data(as_text=True)
    assert text in page
