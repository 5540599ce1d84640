"""Event content in English and Indonesian: the helper, the event and agenda forms, the public
pages in both languages with their fallback note, cloning, and the registration emails."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import AgendaSession, Event, OutboxEmail
from seminar_app.services.errors import ServiceError
from seminar_app.services.events import agenda as agenda_service
from seminar_app.services.events import events as event_service
from seminar_app.services.events.content_language import (
    base_language_of,
    fallback_note,
    localized,
    merge_texts,
)
from tests.conftest import post_form
from tests.factories import form_fields, logged_in, make_registration
from tests.public_factories import create_event
from tests.test_events_manage import form_data
from tests.test_services_events import event_data

ID_TITLE = "Tumbuh Bersama melalui Kerja Sama Selatan-Selatan"
EN_TITLE = "Growing Together through South-South Cooperation"
NOTE_EN = "Shown in English: no Indonesian text yet."
NOTE_ID = "Shown in Indonesian: no English text yet."


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def two_languages(**overrides):
    """An event's data through the service with texts in English and Indonesian."""
    translations = {
        "en": {"title": EN_TITLE, "theme": "Capacity building", "description": "A **forum**."},
        "id": {"title": ID_TITLE, "theme": "Peningkatan kapasitas",
               "description": "Sebuah **forum**."},
    }
    overrides.setdefault("translations", translations)
    overrides.setdefault("languages", ["en", "id"])
    overrides.setdefault("registration_opens_at", None)
    return event_data(**overrides)


def published(event):
    if not event.is_published:
        event_service.publish_event(event)
    return event


def get_in(client, url, language):
    client.set_cookie("lang", language)
    return client.get(url)


# --- the helper ------------------------------------------------------------------------------

def test_localized_prefers_the_language_asked_then_falls_back(app, owner):
    event = event_service.create_event(owner=owner, data=two_languages())
    with app.test_request_context():
        assert localized(event, "title", "id") == localized(event, "title", "id")
        assert localized(event, "title", "id").text == ID_TITLE
        assert not localized(event, "title", "id").is_fallback
        assert localized(event, "title", "en").text == EN_TITLE
    event = event_service.create_event(owner=owner, data=event_data(
        title="", translations={"id": {"title": "Hanya Indonesia"}}, languages=["en", "id"]))
    with app.test_request_context():
        shown = localized(event, "title", "en")
        assert (shown.text, shown.language, shown.is_fallback) == ("Hanya Indonesia", "id", True)
        assert fallback_note(shown) == NOTE_ID
        assert fallback_note(localized(event, "title", "id")) == ""


def test_rows_without_translations_read_their_base_column(app, owner):
    legacy = create_event(owner, title="Old Forum", languages="id,en")
    db.session.commit()
    with app.test_request_context():
        assert localized(legacy, "title", "id").is_fallback is False
        english = localized(legacy, "title", "en")
        assert (english.text, english.language, english.is_fallback) == ("Old Forum", "id", True)
        assert localized(legacy, "theme", "en").text == legacy.theme


def test_merge_texts_keeps_the_other_language_and_fills_the_base_columns():
    current = {"en": {"title": "Forum"}, "id": {"title": "Forum ID"}}
    translations, values = merge_texts(current=current, given={"en": {"title": ""}},
                                       plain={}, fields=("title",), base="en")
    assert translations == {"id": {"title": "Forum ID"}}
    assert values == {"title": "Forum ID"}
    translations, values = merge_texts(current=None, given=None, plain={"title": " Forum "},
                                       fields=("title",), base="id")
    assert translations == {"id": {"title": "Forum"}} and values == {"title": "Forum"}
    assert base_language_of("fr,id,en") == "id" and base_language_of("fr") == "en"


# --- events: the service and the form ----------------------------------------------------------

def test_service_stores_both_languages_and_the_base_one_in_the_columns(owner, db):
    event = event_service.create_event(owner=owner, data=two_languages(slug=""))
    db.session.expire_all()
    stored = db.session.get(Event, event.id)
    assert stored.title == EN_TITLE and stored.theme == "Capacity building"
    assert stored.translations["id"]["title"] == ID_TITLE
    assert stored.slug.startswith("growing-together")
    # an event held in Indonesian first keeps the Indonesian texts in its columns
    first_id = event_service.create_event(owner=owner, data=two_languages(
        languages="id,en", slug="forum-id"))
    assert first_id.title == ID_TITLE and first_id.description == "Sebuah **forum**."


def test_only_indonesian_title_fills_the_base_column_and_the_slug(owner):
    event = event_service.create_event(owner=owner, data=event_data(
        title="", slug="", languages=["en", "id"],
        translations={"en": {"title": ""}, "id": {"title": "Forum Kerja Sama"}}))
    assert event.title == "Forum Kerja Sama"
    assert event.slug.startswith("forum-kerja-sama")


def test_service_refuses_an_event_without_any_title(app, owner):
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        event_service.create_event(owner=owner, data=event_data(
            title="", translations={"en": {"title": ""}, "id": {"title": "  "}}))
    assert error.value.field == "title"


def test_service_refuses_a_too_long_indonesian_title(app, owner):
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        event_service.create_event(owner=owner, data=two_languages(
            translations={"en": {"title": "Forum"}, "id": {"title": "x" * 201}}))
    assert error.value.field == "title_id"


def test_update_without_translations_changes_the_base_language_only(owner):
    event = event_service.create_event(owner=owner, data=two_languages())
    event_service.update_event(event, data=event_data(title="Renamed Forum",
                                                      languages=["en", "id"]))
    assert event.title == "Renamed Forum"
    assert event.translations["en"]["title"] == "Renamed Forum"
    assert event.translations["id"]["title"] == ID_TITLE


def test_clone_carries_the_translations(owner):
    event = event_service.create_event(owner=owner, data=two_languages())
    agenda_service.add_session(
        event, day=event_data()["start_at"].date(), start=event_data()["start_at"].time(),
        end=(event_data()["start_at"] + timedelta(hours=1)).time(), title="Opening",
        translations={"en": {"title": "Opening"}, "id": {"title": "Pembukaan"}})
    copy = event_service.clone_event(event, owner=owner)
    assert copy.translations == event.translations
    assert copy.translations is not event.translations
    assert copy.sessions[0].translations["id"]["title"] == "Pembukaan"


def test_event_form_round_trip_in_both_languages(app, owner, db):
    client = logged_in(app, owner)
    response = post_form(client, "/manage/events/new", form_data(
        title=EN_TITLE, title_id=ID_TITLE, theme="Capacity building",
        theme_id="Peningkatan kapasitas", description="A **forum**.",
        description_id="Sebuah **forum**."))
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event).order_by(Event.id.desc()))
    assert event.title == EN_TITLE
    assert event.translations["id"] == {"title": ID_TITLE, "theme": "Peningkatan kapasitas",
                                        "description": "Sebuah **forum**."}
    html = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert f'value="{ID_TITLE}"' in html and f'value="{EN_TITLE}"' in html
    assert 'lang="id"' in html and "Bahasa Indonesia" in html
    # emptying the English title keeps the event, under its Indonesian title
    response = post_form(client, f"/manage/events/{event.id}/edit", form_data(
        title="", title_id=ID_TITLE, slug=event.slug))
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.title == ID_TITLE and "title" not in event.translations.get("en", {})
    assert event.slug.startswith("growing-together")  # the slug stays one and unchanged


def test_event_form_needs_a_title_in_one_language(app, owner, db):
    client = logged_in(app, owner)
    response = post_form(client, "/manage/events/new", form_data(title="", title_id=""))
    assert response.status_code == 422
    assert "give the event a title" in response.get_data(as_text=True)
    assert db.session.scalar(select(Event.id)) is None


# --- public pages ------------------------------------------------------------------------------

def test_public_page_and_listing_follow_the_visitors_language(client, owner):
    event = published(event_service.create_event(owner=owner, data=two_languages()))
    indonesian = get_in(client, f"/events/{event.slug}", "id").get_data(as_text=True)
    assert ID_TITLE in indonesian and "Peningkatan kapasitas" in indonesian
    assert "Sebuah <strong>forum</strong>." in indonesian
    assert EN_TITLE not in indonesian and "content-fallback" not in indonesian
    english = get_in(client, f"/events/{event.slug}", "en").get_data(as_text=True)
    assert EN_TITLE in english and ID_TITLE not in english
    listing = get_in(client, "/", "id").get_data(as_text=True)
    assert ID_TITLE in listing and EN_TITLE not in listing


def test_public_page_says_when_it_falls_back(client, owner):
    english_only = create_event(owner, title="English Only Forum", languages="en")
    db.session.commit()
    html = get_in(client, f"/events/{english_only.slug}", "id").get_data(as_text=True)
    assert "English Only Forum" in html
    assert "content-fallback" in html and 'lang="en"' in html
    assert "content-fallback" not in get_in(client, f"/events/{english_only.slug}",
                                            "en").get_data(as_text=True)
    indonesian_only = published(event_service.create_event(owner=owner, data=event_data(
        title="", translations={"id": {"title": "Hanya Bahasa Indonesia"}},
        languages=["en", "id"])))
    html = get_in(client, f"/events/{indonesian_only.slug}", "en").get_data(as_text=True)
    assert "Hanya Bahasa Indonesia" in html and NOTE_ID in html
    listing = get_in(client, "/", "en").get_data(as_text=True)
    assert NOTE_ID in listing


def test_agenda_sessions_in_both_languages(app, client, owner, db):
    event = published(event_service.create_event(owner=owner, data=two_languages()))
    start = event_data()["start_at"]
    editor = logged_in(app, owner)
    response = post_form(editor, f"/manage/events/{event.id}/agenda", {
        "day": start.date().isoformat(), "start_time": "09:00", "end_time": "10:00",
        "title": "Opening remarks", "title_id": "Sambutan pembukaan", "room": "Hall",
        "description": "", "description_id": "Oleh *Direktur*."})
    assert response.status_code == 302, response.get_data(as_text=True)
    session = db.session.scalar(select(AgendaSession))
    assert session.title == "Opening remarks"
    assert session.translations["id"] == {"title": "Sambutan pembukaan",
                                          "description": "Oleh *Direktur*."}
    html = editor.get(f"/manage/events/{event.id}/agenda/{session.id}/edit").get_data(
        as_text=True)
    assert 'value="Sambutan pembukaan"' in html and 'value="Opening remarks"' in html
    indonesian = get_in(client, f"/events/{event.slug}", "id").get_data(as_text=True)
    assert "Sambutan pembukaan" in indonesian and "Oleh <em>Direktur</em>." in indonesian
    english = get_in(client, f"/events/{event.slug}", "en").get_data(as_text=True)
    assert "Opening remarks" in english and "Sambutan pembukaan" not in english
    # the English description is empty: the Indonesian one is shown, with the note
    assert "Oleh <em>Direktur</em>." in english and NOTE_ID in english


def test_agenda_form_needs_a_title_in_one_language(app, owner, db):
    event = event_service.create_event(owner=owner, data=two_languages())
    editor = logged_in(app, owner)
    response = post_form(editor, f"/manage/events/{event.id}/agenda", {
        "day": event_data()["start_at"].date().isoformat(), "start_time": "09:00",
        "end_time": "10:00", "title": "", "title_id": " "})
    assert response.status_code == 422
    assert "give the session a title" in response.get_data(as_text=True)
    assert db.session.scalar(select(AgendaSession.id)) is None


# --- emails -------------------------------------------------------------------------------------

def test_emails_carry_the_title_in_the_delegates_language(client, owner, smtp_server):
    event = published(event_service.create_event(owner=owner, data=two_languages()))
    post_form(client, f"/events/{event.slug}/register",
              form_fields(email="budi@example.org", language="id"))
    post_form(client, f"/events/{event.slug}/register",
              form_fields(email="jane@example.org", language="en"))
    messages = {m["to"][0]: m["message"] for m in smtp_server.wait_for(2)}
    indonesian = messages["budi@example.org"]
    assert ID_TITLE in indonesian["Subject"]
    text = indonesian.get_body(("plain",)).get_content()
    html = indonesian.get_body(("html",)).get_content()
    assert ID_TITLE in text and ID_TITLE in html and EN_TITLE not in text
    english = messages["jane@example.org"]
    assert EN_TITLE in english["Subject"] and ID_TITLE not in english["Subject"]
    # the calendar file keeps the base language's title
    ics = next(indonesian.iter_attachments()).get_payload(decode=True).decode()
    assert "SUMMARY:Growing Together" in ics


def test_email_falls_back_to_the_other_language(owner):
    event = published(event_service.create_event(owner=owner, data=event_data(
        title="", translations={"id": {"title": "Hanya Indonesia"}}, languages=["en", "id"],
        registration_opens_at=None)))
    make_registration(event, email="en@example.org", language="en")
    email = db.session.scalar(select(OutboxEmail).where(OutboxEmail.recipient == "en@example.org"))
    assert "Hanya Indonesia" in email.subject


# --- the demo -----------------------------------------------------------------------------------

def test_demo_forum_speaks_both_languages(client, runner):
    assert runner.invoke(args=["demo", "load", "--if-empty"]).exit_code == 0
    html = get_in(client, "/events/south-south-cooperation-forum", "id").get_data(as_text=True)
    assert ID_TITLE in html and "Sambutan pembukaan" in html and "Rehat kopi" in html
    assert "42 negara undangan" in html and "content-fallback" not in html
    html = get_in(client, "/events/south-south-cooperation-forum", "en").get_data(as_text=True)
    assert EN_TITLE in html and "Opening remarks" in html and ID_TITLE not in html
    # the seminar is held in Indonesian first but written in English: no note in English
    html = get_in(client, "/events/indonesia-south-south-cooperation-seminar",
                  "en").get_data(as_text=True)
    assert "content-fallback" not in html
    html = get_in(client, "/events/indonesia-south-south-cooperation-seminar",
                  "id").get_data(as_text=True)
    assert "content-fallback" in html
