"""Delegates register in the browser; organizers follow them up in the participant list.

1. A delegate on a phone, in Bahasa Indonesia: the form (visa block, extra questions, a phone
   refused then fixed), the personal page, the email with its link and .ics, editing, the
   badge and cancelling.
2. A full event: the waiting list, the organizer's list and chart, cancelling with a reason
   and the automatic promotion.
3. Moderation: waiting for approval, bulk approval, the "approved" email.
4. Exports: CSV and Excel from the list page.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from seminar_app.models import QuestionKind
from tests.e2e.pages import (
    SCREENSHOTS,
    has_no_horizontal_scroll,
    log_in,
    release_db,
    screenshot,
)
from tests.factories import add_question, make_registration, registration_event

pytestmark = pytest.mark.e2e

ORGANIZER = "forum.organizer@example.org"
LINK = re.compile(r"https?://\S+?(/r/[A-Za-z0-9_-]+)")


@pytest.fixture
def mail(app, smtp_server, live_server, monkeypatch):
    """The SMTP sink, with the links in emails pointing at the live server."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    return smtp_server


@pytest.fixture
def organizer(make_user):
    return make_user("organizer", email=ORGANIZER, name="Forum Organizer")


def _bodies(message) -> tuple[str, str, dict]:
    """(plain text, html, {filename: part}) of an email."""
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html, {part.get_filename(): part for part in message.iter_attachments()}


def _message_to(sink, address: str, subject: str, count: int):
    """The email to ``address`` with ``subject``, once ``count`` emails have arrived."""
    messages = sink.wait_for(count)
    found = [
        m["message"]
        for m in messages
        if m["to"] == [address] and m["message"]["Subject"] == subject
    ]
    assert found, f"no {subject!r} to {address}; got " + ", ".join(
        f"{m['to']}: {m['message']['Subject']}" for m in messages
    )
    return found[-1]


def _flash(page):
    """The success message shown once after a redirect."""
    return page.locator(".flash-messages .alert-success")


def _fits(page) -> None:
    assert has_no_horizontal_scroll(page), f"horizontal scroll on {page.url}"


def _element_screenshot(locator, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled")


# --- 1. a delegate on a phone, in Indonesian -------------------------------------------------


@pytest.fixture
def summit(organizer):
    """A public event with two places, a choice question and a yes/no question."""
    event = registration_event(
        organizer, title="ASEAN Maritime Summit", slug="maritime-summit", capacity=2
    )
    panel = add_question(
        event,
        "Which panel will you join?",
        QuestionKind.CHOICE,
        required=True,
        choices=["Ports", "Fisheries", "Connectivity"],
    )
    dinner = add_question(
        event, "Will you attend the official dinner?", QuestionKind.YES_NO, position=1
    )
    facts = {
        "slug": event.slug,
        "title": event.title,
        "panel": panel.id,
        "dinner": dinner.id,
        "expiry": (event.end_at + timedelta(days=400)).date().isoformat(),
    }
    release_db()
    return facts


def _form(page):
    """The registration form (the "lost your link?" box beside it has its own #email)."""
    return page.locator("form[action$='/register']")


def _fill_delegate(page, summit, *, phone: str) -> None:
    form = _form(page)
    form.locator("#honorific").select_option("he")
    expect(form.locator("#honorific option:checked")).to_have_text("Y.M.")
    expect(form.locator("[data-honorific-other]")).to_be_hidden()
    form.locator("#given_name").fill("Ирина")
    form.locator("#family_name").fill("Соколова")
    form.locator("#email").fill("irina.sokolova@example.org")
    form.locator("#phone").fill(phone)
    form.locator("#language").select_option("id")
    form.locator("#country").select_option("RU")
    form.locator("#delegation_role").select_option("head")
    form.locator("#organisation").fill("Ministry of Foreign Affairs of the Russian Federation")
    form.locator("#position").fill("Director")
    visa = form.locator("[data-visa-details]")
    expect(visa).to_be_hidden()
    form.locator("#needs_visa_letter").check()
    expect(visa).to_be_visible()
    form.locator("#passport_number").fill("72 1234567")
    form.locator("#nationality").select_option("RU")
    form.locator("#birth_date").fill("1971-09-14")
    form.locator("#birth_place").fill("Moskva")
    form.locator("#passport_expiry").fill(summit["expiry"])
    form.locator(f"#q_{summit['panel']}").select_option("Fisheries")
    form.locator(f"#q_{summit['dinner']}-0").check()
    form.locator("#consent").check()


def _register_on_phone(browsing, page, summit) -> str:
    """Fill the form, be refused for the phone, fix it; returns the personal page's URL."""
    page.goto(f"/events/{summit['slug']}")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    _fits(page)
    page.locator(".event-hero").get_by_role("link", name="Daftar").tap()
    page.wait_for_url(f"**/events/{summit['slug']}/register")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    _fits(page)
    _fill_delegate(page, summit, phone="+7 12")
    browsing.allow_status(422)
    _form(page).locator("button[type=submit]").tap()

    phone = page.locator("#phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-error")).to_contain_text(
        "Masukkan nomor telepon yang sah untuk Rusia"
    )
    expect(page.locator("[data-visa-details]")).to_be_visible()
    expect(page.locator("#passport_number")).to_have_value("72 1234567")
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    _fits(page)
    screenshot(page, "registration_form_phone_id")

    phone.fill("+7 495 606-36-02")
    _form(page).locator("button[type=submit]").tap()
    page.wait_for_url(re.compile(r"/r/[A-Za-z0-9_-]+$"))
    return page.url


def _check_personal_page(page) -> str:
    """The confirmed personal page in Indonesian; returns the reference code."""
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.locator(".alert[role=status]")).to_contain_text("Terkonfirmasi")
    reference = page.locator("dd.font-monospace").first
    expect(reference).to_have_text(re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$"))
    main = page.locator("main")
    expect(main).to_contain_text("Y.M. Ирина Соколова")
    expect(main).to_contain_text("Ketua delegasi")
    expect(main).to_contain_text("+74956063602")
    expect(main).to_contain_text("Fisheries")
    expect(main).to_contain_text("••••567")  # the personal page masks the passport number
    expect(main).not_to_contain_text("721234567")
    _fits(page)
    return reference.inner_text()


def test_delegate_registers_on_phone_in_indonesian(browsing, summit, mail):
    page = browsing.new_page(phone=True, locale="id-ID")
    done_url = _register_on_phone(browsing, page, summit)
    expect(_flash(page)).to_be_visible()
    reference = _check_personal_page(page)
    screenshot(page, "registration_done_phone_id")

    message = _message_to(
        mail, "irina.sokolova@example.org", f"Pendaftaran terkonfirmasi: {summit['title']}", 1
    )
    text, html, files = _bodies(message)
    assert '<html lang="id">' in html
    assert reference in text and reference in html
    ics = files[f"{summit['slug']}.ics"]
    assert ics.get_content_type() == "text/calendar"
    assert b"BEGIN:VEVENT" in ics.get_payload(decode=True)
    link = LINK.search(text)
    assert link, text
    assert done_url.endswith(link.group(1))

    page = browsing.new_page(phone=True, locale="id-ID")
    page.goto(link.group(0))
    assert _check_personal_page(page) == reference
    screenshot(page, "manage_link_phone")

    page.get_by_role("link", name="Ubah data saya").tap()
    page.wait_for_url("**/edit")
    expect(page.locator("#email-readonly")).to_have_value("irina.sokolova@example.org")
    expect(page.locator(f"#q_{summit['panel']}")).to_have_value("Fisheries")
    _fits(page)
    page.locator("#position").fill("Director-General for Asia")
    page.get_by_role("button", name="Simpan perubahan").tap()
    page.wait_for_url(link.group(0))
    expect(_flash(page)).to_contain_text("Perubahan Anda telah disimpan.")
    expect(page.locator("main")).to_contain_text("Director-General for Asia")

    with page.expect_download() as info:
        page.get_by_role("link", name="Unduh tanda pengenal saya (PDF)").tap()
    badge = info.value
    assert badge.suggested_filename.endswith(".pdf")
    assert badge.path().read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="Batalkan pendaftaran saya").tap()
    page.wait_for_url("**/cancel")
    expect(page.locator("main")).to_contain_text(reference)
    _fits(page)
    page.get_by_role("button", name="Ya, batalkan pendaftaran saya").tap()
    expect(page.get_by_role("heading", name="Pendaftaran dibatalkan")).to_be_visible()
    expect(page.locator(".alert[role=status]")).to_contain_text("telah dibatalkan")
    expect(page.get_by_role("link", name="Batalkan pendaftaran saya")).to_have_count(0)
    expect(page.get_by_role("link", name="Unduh tanda pengenal saya (PDF)")).to_have_count(0)
    _fits(page)
    # the personal link no longer opens anything after the cancellation
    browsing.allow_status(410)
    gone = page.goto(link.group(0))
    assert gone.status == 410
    expect(page.locator("main")).to_contain_text("tidak berlaku lagi")
    browsing.assert_clean()


def test_delegate_with_a_single_name_registers_on_a_desktop_in_english(browsing, summit, mail):
    """The other half of journey 1: a desktop in English, and the single-name path (family
    name left empty, as is common in Indonesia and Myanmar)."""
    page = browsing.new_page(locale="en-GB")
    page.goto(f"/events/{summit['slug']}/register")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    form = _form(page)
    expect(form.locator("#family_name")).not_to_have_attribute("required", re.compile(".*"))
    expect(form).to_contain_text("Leave empty if you have a single name")
    form.locator("#honorific").select_option("mr")
    form.locator("#given_name").fill("Sukarno")
    form.locator("#email").fill("sukarno@example.org")
    form.locator("#phone").fill("+62 21 344 1508")
    form.locator("#country").select_option("ID")
    form.locator("#organisation").fill("Kementerian Luar Negeri")
    form.locator(f"#q_{summit['panel']}").select_option("Ports")
    form.locator("#consent").check()
    assert has_no_horizontal_scroll(page)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/r/[A-Za-z0-9_-]+$"))
    main = page.locator("main")
    expect(page.locator(".alert[role=status]")).to_contain_text("Confirmed")
    expect(main).to_contain_text("Mr. Sukarno")
    expect(main).not_to_contain_text("None")
    message = _message_to(
        mail, "sukarno@example.org", f"Registration confirmed: {summit['title']}", 1)
    text = _bodies(message)[0]
    assert "Sukarno" in text and "None" not in text
    browsing.assert_clean()


# --- 2. the waiting list and its promotion ---------------------------------------------------


def _register_in_english(
    page,
    slug: str,
    *,
    email: str,
    given: str,
    family: str,
    country: str = "MY",
    phone: str = "+60 3-8887 4000",
) -> None:
    page.goto(f"/events/{slug}/register")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    form = _form(page)
    form.locator("#honorific").select_option("ms")
    form.locator("#given_name").fill(given)
    form.locator("#family_name").fill(family)
    form.locator("#email").fill(email)
    form.locator("#phone").fill(phone)
    form.locator("#country").select_option(country)
    form.locator("#organisation").fill("Ministry of Foreign Affairs")
    form.locator("#consent").check()
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/r/[A-Za-z0-9_-]+$"))


@pytest.fixture
def full_event(organizer, mail):
    """One place, already taken by a confirmed delegate from Indonesia."""
    event = registration_event(
        organizer, title="Jakarta Dialogue", slug="jakarta-dialogue", capacity=1
    )
    first, _token = make_registration(
        event, email="first@example.org", given_name="Budi", family_name="Santoso", country="ID"
    )
    facts = {"id": event.id, "slug": event.slug, "title": event.title, "first": first.id}
    release_db()
    return facts


def test_waiting_list_and_promotion(browsing, full_event, mail):
    page = browsing.new_page()
    _register_in_english(
        page, full_event["slug"], email="nurul@example.org", given="Nurul", family="Aziz"
    )
    status = page.locator(".alert[role=status]")
    expect(status).to_contain_text("On the waiting list")
    expect(status).to_contain_text("position 1 on the waiting list")
    expect(_flash(page)).to_contain_text("waiting list (position 1)")
    _message_to(mail, "nurul@example.org", f"Waiting list: {full_event['title']}", 2)

    staff = browsing.new_page()
    log_in(staff, ORGANIZER)
    list_url = f"/manage/events/{full_event['id']}/registrations"
    staff.goto(list_url)
    rows = staff.locator("#bulk-form tbody tr")
    expect(rows).to_have_count(2)
    budi, nurul = rows.filter(has_text="Budi Santoso"), rows.filter(has_text="Nurul Aziz")
    expect(budi.locator("[data-status] .badge")).to_have_text("Confirmed")
    expect(nurul.locator("[data-status] .badge")).to_have_text("On the waiting list")
    chart = staff.locator("svg[role=img]")
    expect(chart).to_have_count(1)
    expect(chart).to_contain_text("Indonesia")
    _fits(staff)
    screenshot(staff, "participants_list")

    budi.get_by_role("link", name=re.compile("Budi Santoso")).click()
    staff.wait_for_url(f"**/registrations/{full_event['first']}")
    staff.locator("#cancel-reason").fill("The minister cannot travel.")
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.get_by_role("button", name="Cancel the registration").click()
    expect(_flash(staff)).to_contain_text("1 delegate moved up from the waiting list.")
    expect(staff.locator("h2 + .badge")).to_have_text("Cancelled")
    expect(staff.locator("main")).to_contain_text("The minister cannot travel.")

    staff.goto(list_url)
    expect(budi.locator("[data-status] .badge")).to_have_text("Cancelled")
    expect(nurul.locator("[data-status] .badge")).to_have_text("Confirmed")
    promoted = _message_to(
        mail,
        "nurul@example.org",
        f"A place is free: your registration for {full_event['title']} is confirmed",
        4,
    )
    assert f"{full_event['slug']}.ics" in _bodies(promoted)[2]
    cancelled = _message_to(
        mail, "first@example.org", f"Registration cancelled: {full_event['title']}", 4
    )
    assert "The minister cannot travel." in _bodies(cancelled)[0]

    # promotion gives a new personal link (only its hash is stored): the email carries it
    page.goto(LINK.search(_bodies(promoted)[0]).group(0))
    expect(page.locator(".alert[role=status]")).to_contain_text("Confirmed")
    expect(page.get_by_role("link", name="Download my badge (PDF)")).to_be_visible()
    browsing.assert_clean()


# --- 3. moderation ---------------------------------------------------------------------------


@pytest.fixture
def retreat(organizer):
    event = registration_event(
        organizer, title="Diplomatic Retreat", slug="retreat", requires_approval=True
    )
    facts = {"id": event.id, "slug": event.slug, "title": event.title}
    release_db()
    return facts


def test_moderation_bulk_approval(browsing, retreat, mail):
    page = browsing.new_page()
    _register_in_english(
        page,
        retreat["slug"],
        email="ana@example.org",
        given="Ana",
        family="Pereira",
        country="TL",
        phone="+670 332 2345",
    )
    expect(page.locator(".alert[role=status]")).to_contain_text("Waiting for approval")
    expect(page.get_by_role("link", name="Download my badge (PDF)")).to_have_count(0)
    _message_to(mail, "ana@example.org", f"Registration received: {retreat['title']}", 1)

    staff = browsing.new_page()
    log_in(staff, ORGANIZER)
    staff.goto(f"/manage/events/{retreat['id']}/registrations")
    row = staff.locator("#bulk-form tbody tr").filter(has_text="Ana Pereira")
    expect(row.locator("[data-status] .badge")).to_have_text("Waiting for approval")
    row.locator("input[name=ids]").check()
    expect(staff.locator("[data-select-all]")).to_be_checked()
    staff.locator("#action").select_option("approve")
    staff.get_by_role("button", name="Apply to the selected").click()
    expect(_flash(staff)).to_contain_text("1 registration approved.")
    expect(row.locator("[data-status] .badge")).to_have_text("Confirmed")

    approved = _message_to(mail, "ana@example.org", f"Registration approved: {retreat['title']}", 2)
    page.goto(LINK.search(_bodies(approved)[0]).group(0))
    expect(page.locator(".alert[role=status]")).to_contain_text("Confirmed")
    expect(page.get_by_role("link", name="Download my badge (PDF)")).to_be_visible()
    browsing.assert_clean()


# --- 4. exports ------------------------------------------------------------------------------

DELEGATES = [  # given name, family name, country, mailbox
    ("Siti", "Rahmawati", "ID", "rahmawati"),
    ("Budi", "Santoso", "ID", "santoso"),
    ("Dewi", "Lestari", "ID", "lestari"),
    ("Kenji", "Sato", "JP", "sato"),
    ("Yuki", "Tanaka", "JP", "tanaka"),
    ("Aminah", "Ismail", "MY", "ismail"),
    ("Ana", "Pereira", "TL", "pereira"),
    ("Ирина", "Соколова", "RU", "sokolova"),
    ("Lucas", "Brown", "AU", "brown"),
]


def test_exports_from_the_list(browsing, organizer):
    event = registration_event(organizer, title="Bali Forum", slug="bali-forum")
    for given, family, country, mailbox in DELEGATES:
        make_registration(
            event,
            email=f"{mailbox}@example.org",
            given_name=given,
            family_name=family,
            country=country,
        )
    event_id = event.id
    release_db()

    staff = browsing.new_page()
    log_in(staff, ORGANIZER)
    staff.goto(f"/manage/events/{event_id}/registrations")
    chart = staff.locator("svg[role=img]")
    expect(chart).to_contain_text("Indonesia")
    expect(chart).to_contain_text("Timor-Leste")
    _element_screenshot(
        chart.locator("xpath=ancestor::div[contains(@class,'card')][1]"), "participants_chart"
    )

    with staff.expect_download() as info:
        staff.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == len(DELEGATES)
    emails = header.index("Email")
    assert sorted(row[emails] for row in body) == sorted(
        f"{mailbox}@example.org" for *_names, mailbox in DELEGATES
    )
    cells = {cell for row in body for cell in row}
    assert {"Соколова", "Timor-Leste", "Japan"} <= cells, header

    with staff.expect_download() as info:
        staff.get_by_role("button", name="Export Excel").click()
    workbook = info.value
    assert workbook.suggested_filename.endswith(".xlsx")
    assert workbook.path().read_bytes()[:2] == b"PK"
    browsing.assert_clean()
