"""An organizer in the browser: create an event, its agenda and co-host, publish, check it."""

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import expect

from seminar_app.models import EventStatus
from seminar_app.services.events.events import create_event
from tests.e2e.pages import (
    has_no_horizontal_scroll,
    image_loaded,
    log_in,
    release_db,
    screenshot,
)

pytestmark = pytest.mark.e2e

MAKASSAR = ZoneInfo("Asia/Makassar")
TITLE = "Maritime Cooperation in Eastern Indonesia"
DESCRIPTION = "Two days on **ports**, fisheries and *connectivity*.\n\n- Panels\n- Field visit"


def _local(day, clock: str) -> str:
    """A value for a datetime-local input."""
    return f"{day.isoformat()}T{clock}"


def _logo(path) -> str:
    """A small PNG logo written to ``path``."""
    out = io.BytesIO()
    Image.new("RGB", (160, 80), "#1f6f43").save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def _fill_event_form(page, first_day, last_day) -> None:
    today = datetime.now(MAKASSAR).date()
    page.locator("#title").fill(TITLE)
    page.locator("#event_type").select_option("conference")
    page.locator("#theme").fill("Ports, fisheries and connectivity")
    page.locator("#description").fill(DESCRIPTION)
    page.locator("input[name=languages][value=id]").check()
    page.locator("#timezone").select_option("Asia/Makassar")
    page.locator("#start_at").fill(_local(first_day, "09:00"))
    page.locator("#end_at").fill(_local(last_day, "16:00"))
    page.locator("#venue_name").fill("Universitas Hasanuddin, Rectorate Building")
    page.locator("#venue_address").fill("Jl. Perintis Kemerdekaan KM. 10, Tamalanrea")
    page.locator("#venue_city").fill("Makassar")
    page.locator("#venue_country").select_option("ID")
    page.locator("#capacity").fill("60")
    page.locator("#registration_opens_at").fill(_local(today - timedelta(days=1), "08:00"))
    page.locator("#registration_closes_at").fill(
        _local(first_day - timedelta(days=1), "23:00"))


def _add_session(page, texts, day, start, end, title, speaker, *, check_rows=False) -> None:
    form = page.locator("#add-session form")
    form.locator("#day").fill(day.isoformat())
    form.locator("#start_time").fill(start)
    form.locator("#end_time").fill(end)
    form.locator("#title").fill(title)
    if check_rows:  # agenda.js shows one empty speaker row and reveals more on demand
        expect(form.locator("#speakers-0-name")).to_be_visible()
        expect(form.locator("#speakers-1-name")).to_be_hidden()
        form.get_by_role("button", name=texts["add_speaker"]).click()
        expect(form.locator("#speakers-1-name")).to_be_visible()
        expect(form.locator("#speakers-1-name")).to_be_focused()
    name, position, organisation = speaker
    form.locator("#speakers-0-name").fill(name)
    form.locator("#speakers-0-title").fill(position)
    form.locator("#speakers-0-organisation").fill(organisation)
    form.get_by_role("button", name=texts["add_session"]).click()
    expect(page.locator(".alert-success")).to_contain_text(title)


#: (phone, language): an organizer on a phone in Bahasa Indonesia, and one on a desktop in English
JOURNEYS = [pytest.param(True, "id", id="phone-id"), pytest.param(False, "en", id="desktop-en")]
TITLE_ID = "Kerja Sama Maritim di Indonesia Timur"
TEXTS = {
    "en": {"new": "New event", "create": "Create the draft", "created": "created as a draft",
           "more": "More", "agenda": "Agenda", "cohosts": "Co-hosts", "add": "Add",
           "added": "co-host was added", "publish": "Publish", "published": "published",
           "public": "Open the public page", "register": "Register", "co_host": "Co-host",
           "zone": "Central Indonesia Time (WITA)", "calendar": "Add to calendar",
           "add_session": "Add session", "add_speaker": "Add a speaker", "title": TITLE},
    "id": {"new": "Acara baru", "create": "Buat draf", "created": "dibuat sebagai draf",
           "more": "Lainnya", "agenda": "Agenda", "cohosts": "Penyelenggara bersama",
           "add": "Tambah", "added": "Penyelenggara bersama telah ditambahkan",
           "publish": "Terbitkan", "published": "diterbitkan", "public": "Buka halaman publik",
           "register": "Daftar", "co_host": "Tuan rumah bersama",
           "zone": "Waktu Indonesia Tengah (WITA)", "calendar": "Tambahkan ke kalender",
           "add_session": "Tambah sesi", "add_speaker": "Tambah pembicara", "title": TITLE_ID},
}


def _fits(page) -> None:
    assert has_no_horizontal_scroll(page), f"horizontal scroll on {page.url}"


def _open_tab(page, texts, name: str) -> None:
    """A tab of the event's pages that sits under "More" (on a phone and on a desktop)."""
    page.get_by_role("button", name=texts["more"]).click()
    page.locator(".dropdown-menu.show").get_by_role("link", name=name, exact=True).click()


@pytest.mark.parametrize(("phone", "language"), JOURNEYS)
def test_organizer_creates_and_publishes_a_bilingual_event(browsing, make_user, tmp_path,
                                                          phone, language):
    """From login to a published page in both languages, with agenda, co-host logo,
    Register and calendar, on a phone in Bahasa Indonesia and on a desktop in English."""
    texts = TEXTS[language]
    make_user("organizer", email="maritime@example.org", language=language)
    release_db()
    first_day = datetime.now(MAKASSAR).date() + timedelta(days=40)
    last_day = first_day + timedelta(days=1)
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    page.context.add_cookies([{"name": "lang", "value": language, "url": browsing.base_url}])
    log_in(page, "maritime@example.org")
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.get_by_role("link", name=texts["new"]).first.click()
    _fill_event_form(page, first_day, last_day)
    page.locator("#title_id").fill(TITLE_ID)
    page.locator("#theme_id").fill("Pelabuhan, perikanan dan konektivitas")
    page.locator("#description_id").fill("Dua hari tentang **pelabuhan** dan perikanan.")
    if phone:
        _fits(page)
    page.get_by_role("button", name=texts["create"]).click()
    page.wait_for_url(re.compile(r"/manage/events/\d+$"))
    expect(page.locator("h1")).to_have_text(TITLE)  # staff pages name it by its main title
    expect(page.locator(".alert-success")).to_contain_text(texts["created"])
    overview_url = page.url
    if phone:
        _fits(page)

    _open_tab(page, texts, texts["agenda"])
    _add_session(page, texts, first_day, "09:00", "10:30", "Opening: the sea that connects us",
                 ("Dr. Andi Makmur", "Dean", "Universitas Hasanuddin"), check_rows=True)
    _add_session(page, texts, last_day, "13:00", "14:15", "Fisheries that last",
                 ("Nurul Hidayah", "Researcher", "BRIN"))
    expect(page.locator("section.agenda-day")).to_have_count(2)
    if not phone and language == "en":
        screenshot(page, "agenda_editor")

    _open_tab(page, texts, texts["cohosts"])
    page.locator("#name").fill("Universitas Hasanuddin")
    page.locator("#role").fill("Co-host")
    page.locator("#url").fill("https://unhas.ac.id")
    page.locator("#logo").set_input_files(_logo(tmp_path / "unhas.png"))
    page.get_by_role("button", name=texts["add"], exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(texts["added"])
    assert image_loaded(page, "ul.list-group img.cohost-logo")

    page.goto(overview_url)
    page.get_by_role("button", name=texts["publish"]).click()
    expect(page.locator(".alert-success")).to_contain_text(texts["published"])

    page.goto("/manage/")
    expect(page.locator(".list-group-item", has_text=TITLE)).to_be_visible()
    if phone:
        _fits(page)
    elif language == "en":
        screenshot(page, "manage_event_list")

    page.goto(overview_url)
    page.get_by_role("link", name=texts["public"]).click()
    _check_public_page(page, texts, first_day)
    public_url = page.url
    if phone:
        _fits(page)
    _check_calendar(page, texts)
    # a visitor in the other language sees the other title, and the role in their language
    other = TEXTS["en" if language == "id" else "id"]
    page.context.add_cookies([{"name": "lang", "value": "en" if language == "id" else "id",
                               "url": browsing.base_url}])
    page.goto(public_url)
    _check_public_page(page, other, first_day)
    browsing.assert_clean()


def _check_public_page(page, texts, first_day) -> None:
    expect(page.locator("h1#event-title")).to_have_text(texts["title"])
    expect(page.locator(".event-hero")).to_contain_text("WITA")
    days = page.locator("#agenda-heading + .agenda-day, #agenda-heading ~ .agenda-day")
    expect(days).to_have_count(2)
    expect(days.nth(0).locator("h3")).to_contain_text(str(first_day.year))
    # English and Indonesian write the clock differently (09:00 or 09.00)
    expect(days.nth(0)).to_contain_text(re.compile(r"09[:.]00–10[:.]30"))
    expect(days.nth(0)).to_contain_text("Dr. Andi Makmur, Dean, Universitas Hasanuddin")
    expect(days.nth(1)).to_contain_text(re.compile(r"13[:.]00–14[:.]15"))
    expect(days.nth(1)).to_contain_text("Nurul Hidayah")
    expect(page.get_by_text(texts["zone"]).first).to_be_visible()
    cohosts = page.locator("#cohosts-heading ~ ul")
    expect(cohosts).to_contain_text(texts["co_host"])  # "Tuan rumah bersama" in Indonesian
    assert image_loaded(page, "#cohosts-heading ~ ul img.cohost-logo")
    expect(page.get_by_role("link", name=texts["register"]).first).to_be_visible()


def _check_calendar(page, texts) -> None:
    with page.expect_download() as info:
        page.get_by_role("link", name=texts["calendar"]).click()
    download = info.value
    assert download.suggested_filename.endswith(".ics")
    text = download.path().read_text(encoding="utf-8")
    assert "TZID:Asia/Makassar" in text
    assert "DTSTART;TZID=Asia/Makassar:" in text
    assert f"SUMMARY:{TITLE}" in text or f"SUMMARY:{TITLE_ID}" in text


def test_event_form_shows_end_before_start_next_to_field(browsing, make_user):
    """An end before the start is refused with the message at the end field, focused."""
    owner = make_user("organizer", email="owner@example.org")
    start = datetime.now(MAKASSAR).replace(microsecond=0, second=0) + timedelta(days=20)
    event = create_event(owner=owner, data={
        "title": "Workshop on Fisheries Data", "event_type": "workshop", "timezone":
        "Asia/Makassar", "start_at": start, "end_at": start + timedelta(hours=6),
        "venue_name": "Rectorate Building", "venue_city": "Makassar", "venue_country": "ID",
        "languages": ["en"], "visibility": "public"})
    event_id = event.id
    assert event.status == EventStatus.DRAFT
    release_db()
    browsing.allow_status(422)
    page = browsing.new_page()
    log_in(page, "owner@example.org")

    page.goto(f"/manage/events/{event_id}/edit")
    page.locator("#end_at").fill(_local(start.date() - timedelta(days=1), "10:00"))
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Save").click()
    assert answer.value.status == 422
    end = page.locator("#end_at")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(end).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(end).to_be_focused()
    error = page.locator("#end_at ~ #end_at-error")
    expect(error).to_have_text("The end must be after the start.")
    expect(error).to_be_visible()
    assert "end_at-error" in end.get_attribute("aria-describedby")
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    expect(end).to_be_in_viewport()  # focus scrolls the field into view
    screenshot(page, "event_edit_error", full_page=False)
    browsing.assert_clean()
