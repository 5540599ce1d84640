"""Check-in staff on a phone at the venue's door: search, tap, scan codes, watch the count."""

import pytest
from playwright.sync_api import expect

from seminar_app.models import RegistrationStatus
from tests.e2e.pages import (
    go_offline,
    has_no_horizontal_scroll,
    log_in,
    release_db,
    screenshot,
    wait_until,
)
from tests.factories import add_registration, add_team_member
from tests.public_factories import create_event

#: true once the desk has stored the three delegates' check-in list on the device
ROSTER_STORED = "key => (JSON.parse(localStorage.getItem(key) || '{}').rows || []).length === 3"

pytestmark = pytest.mark.e2e


@pytest.fixture
def venue(make_user):
    """An event in Makassar with three confirmed delegates, one waiting, and a desk officer."""
    # neither account has a language: their pages follow the device's
    organizer = make_user("organizer", language="")
    desk = make_user("staff", name="Desk Officer", language="")
    event = create_event(organizer, title="Maritime Forum", timezone="Asia/Makassar")
    add_team_member(event, desk, can_checkin=True)
    siti = add_registration(event, given_name="Siti", family_name="Rahmawati",
                             organisation="Kementerian Luar Negeri")
    budi = add_registration(event, given_name="Budi", family_name="Santoso")
    add_registration(event, given_name="Ana", family_name="Pereira", country="TL")
    add_registration(event, given_name="Waiting", family_name="Delegate",
                      status=RegistrationStatus.WAITLISTED)
    facts = {"event_id": event.id, "desk": desk.email, "siti": siti.id,
             "organizer": organizer.email,
             "budi_code": budi.badge_code, "siti_code": siti.badge_code}
    release_db()
    return facts


def _desk_url(venue) -> str:
    return f"/manage/events/{venue['event_id']}/checkin"


#: (phone, language): the desk on a phone in Bahasa Indonesia, and on a desktop in English
JOURNEYS = [pytest.param(True, "id", id="phone-id"), pytest.param(False, "en", id="desktop-en")]
TEXTS = {
    "en": {"check_in": "Check in", "checked_in": "Checked in", "arrived": "Arrived at",
           "already": "Already checked in at", "by": "WITA by Desk Officer",
           "early": "check-ins now are counted early", "confirmed": "Confirmed",
           "outcome": "Ms. Siti Rahmawati — Indonesia — Delegate"},
    "id": {"check_in": "Registrasi ulang", "checked_in": "Registrasi ulang berhasil",
           "arrived": "Tiba pukul", "already": "Sudah registrasi ulang pada pukul",
           "by": "WITA oleh Desk Officer", "early": "check-in sekarang dihitung lebih awal",
           "confirmed": "Terkonfirmasi", "outcome": "Siti Rahmawati — Indonesia — Delegasi"},
}


@pytest.mark.parametrize(("phone", "language"), JOURNEYS)
def test_checkin_desk_search_tap_and_count(browsing, venue, phone, language):
    """The desk in the device's language (the account has none set), warned that the event
    has not begun, a button that cannot check in twice, a code field not squeezed."""
    texts = TEXTS[language]
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("[data-early-notice]")).to_contain_text(texts["early"])
    arrived = page.locator("#checkin-counter [data-arrived]")
    expect(arrived).to_have_text("0")
    expect(page.locator("#checkin-counter [data-expected]")).to_have_text("3")

    page.locator("#q").fill("rahma")
    row = page.locator(f"[data-registration='{venue['siti']}']")
    expect(row).to_contain_text("Siti Rahmawati")
    row.get_by_role("button", name=texts["check_in"]).click()
    outcome = page.locator("#checkin-outcome [data-outcome]")
    expect(outcome).to_have_attribute("data-outcome", "success")
    expect(outcome).to_contain_text(texts["outcome"])
    expect(arrived).to_have_text("1")
    expect(row).to_contain_text(texts["arrived"])
    assert has_no_horizontal_scroll(page)
    if phone:
        screenshot(page, "checkin_phone")

    page.locator("#q").fill("siti kementerian")
    row = page.locator(f"[data-registration='{venue['siti']}']")
    expect(page.locator("#checkin-results li")).to_have_count(1)
    # arrived already: the button says so and cannot be used again
    expect(row.get_by_role("button", name=texts["checked_in"])).to_be_disabled()
    code = page.locator("#code-form input[name=code]")
    code.fill(venue["siti_code"])
    code.press("Enter")
    expect(outcome).to_have_attribute("data-outcome", "already")
    expect(outcome).to_contain_text(texts["already"])
    expect(outcome).to_contain_text(texts["by"])
    expect(arrived).to_have_text("1")

    if phone:
        assert code.bounding_box()["width"] > 300  # not squeezed beside the button
    code.fill(f"  {venue['budi_code'].lower()} ")
    code.press("Enter")
    expect(outcome).to_contain_text("Budi Santoso")
    expect(outcome).to_have_attribute("data-outcome", "success")
    expect(code).to_have_value("")
    expect(arrived).to_have_text("2")
    expect(page.locator("#checkin-outcome")).not_to_contain_text("Undo")

    # the organizer's participant list keeps each delegate's status in view
    staff = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    log_in(staff, venue["organizer"])
    staff.goto(f"/manage/events/{venue['event_id']}/registrations")
    siti = staff.locator("#bulk-form tbody tr").filter(has_text="Siti Rahmawati")
    status = siti.locator("[data-status-phone]" if phone else "[data-status]")
    expect(status).to_be_visible()
    expect(status).to_contain_text(texts["confirmed"])
    assert has_no_horizontal_scroll(staff)
    browsing.assert_clean()


def test_checkin_without_camera_still_offers_the_code_form(browsing, venue):
    page = browsing.new_page(phone=True)
    page.add_init_script("Object.defineProperty(navigator, 'mediaDevices', {value: undefined});")
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))

    expect(page.locator("[data-scan-start]")).to_be_hidden()
    expect(page.locator("[data-scan-status]")).to_contain_text("HTTPS")
    page.locator("#code-form input[name=code]").fill(venue["budi_code"])
    page.locator("#code-form").get_by_role("button", name="Check in").tap()
    expect(page.locator("#checkin-outcome [data-outcome]")).to_have_attribute(
        "data-outcome", "success")
    browsing.assert_clean()


def test_checkin_camera_refused_or_missing_shows_a_message(browsing, venue):
    page = browsing.new_page(phone=True)
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))
    start = page.locator("[data-scan-start]")
    expect(start).to_be_visible()

    start.tap()

    expect(page.locator("[data-scan-status]")).to_contain_text("code below")
    expect(start).to_be_visible()
    expect(page.locator("[data-scan-video]")).to_be_hidden()
    browsing.assert_clean()


def test_checkin_works_without_javascript(browsing, venue):
    context = browsing.browser.new_context(base_url=browsing.base_url, java_script_enabled=False,
                                           viewport={"width": 390, "height": 844})
    browsing.contexts.append(context)
    page = context.new_page()
    browsing.problems.watch(page)
    browsing.allow_status(404)
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))

    page.locator("#q").fill("Rahmawati")
    page.locator("#search-form button[type=submit]").click()
    page.locator(f"[data-registration='{venue['siti']}'] button").click()
    expect(page.locator("#checkin-outcome [data-outcome]")).to_have_attribute(
        "data-outcome", "success")
    expect(page.locator("#checkin-counter [data-arrived]")).to_have_text("1")

    page.locator("#code-form input[name=code]").fill("NOSUCHCODE234567")
    page.locator("#code-form button[type=submit]").click()
    expect(page.locator("#checkin-outcome")).to_contain_text("Not found")
    browsing.assert_clean()


def _qr_video(path, payload: str) -> str:
    """A Y4M video (what Chromium's fake camera plays) showing a QR code of ``payload``."""
    import io

    import segno
    from PIL import Image

    width, height = 640, 480
    png = io.BytesIO()
    segno.make_qr(payload).save(png, kind="png", scale=8, border=4)
    code = Image.open(png).convert("L")
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - code.width) // 2, (height - code.height) // 2))
    chroma = bytes([128]) * (width * height // 4)
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(2):
            out.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)
    return str(path)


def test_checkin_camera_reads_a_badge_qr_code(browser, browsing, venue, tmp_path):
    """Chromium's fake camera shows a badge's QR code; the desk reads it and checks in."""
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    video = _qr_video(tmp_path / "badge.y4m", venue["budi_code"])
    camera_browser = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True,
        args=[*CHROMIUM_ARGS, "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"])
    try:
        scanning = type(browsing)(camera_browser, browsing.base_url)
        scanning.problems = browsing.problems
        page = scanning.new_page(phone=True)
        log_in(page, venue["desk"])
        page.goto(_desk_url(venue))
        page.locator("[data-scan-start]").tap()
        expect(page.locator("[data-scan-video]")).to_be_visible()

        outcome = page.locator("#checkin-outcome [data-outcome]")
        expect(outcome).to_have_attribute("data-outcome", "success", timeout=15_000)
        expect(outcome).to_contain_text("Budi Santoso")
        expect(page.locator("#checkin-counter [data-arrived]")).to_have_text("1")
        page.locator("[data-scan-stop]").tap()
        expect(page.locator("[data-scan-video]")).to_be_hidden()
        scanning.close()
    finally:
        camera_browser.close()
    browsing.assert_clean()


def test_checkin_keeps_working_offline_and_syncs_when_back(browsing, venue):
    """Two arrivals recorded without a network are sent, and counted, once it returns."""
    page = browsing.new_page(phone=True)
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))
    arrived = page.locator("#checkin-counter [data-arrived]")
    expect(arrived).to_have_text("0")
    # the desk has stored the check-in list on the device
    wait_until(page, ROSTER_STORED, f"seminar-checkin:{venue['event_id']}")

    go_offline(page)
    banner = page.locator("#checkin-offline")
    expect(banner).to_contain_text("Offline: 0 arrival(s) waiting")
    outcome = page.locator("#checkin-outcome [data-outcome]")

    code = page.locator("#code-form input[name=code]")
    code.fill(venue["budi_code"])
    code.press("Enter")
    expect(outcome).to_have_attribute("data-outcome", "success")
    expect(outcome).to_contain_text("Budi Santoso")
    expect(outcome).to_contain_text("Checked in (offline)")

    page.locator("#q").fill("rahma")
    page.locator("#search-form button[type=submit]").tap()
    result = page.locator("#checkin-results li").filter(has_text="Siti Rahmawati")
    result.get_by_role("button", name="Check in").tap()
    expect(outcome).to_contain_text("Siti Rahmawati")
    expect(banner).to_contain_text("Offline: 2 arrival(s) waiting")

    code.fill(venue["budi_code"])  # the same badge again: the device knows
    code.press("Enter")
    expect(outcome).to_have_attribute("data-outcome", "already")
    expect(arrived).to_have_text("0")  # nothing reached the server yet
    screenshot(page, "checkin_offline")

    page.context.set_offline(False)
    expect(arrived).to_have_text("2")
    expect(banner).to_be_hidden()
    browsing.assert_clean()


def test_checkin_desk_reloads_without_a_network(browsing, venue):
    """A desk reloaded while offline opens from the service worker's cache and still works."""
    page = browsing.new_page(phone=True)
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))
    expect(page.locator("#checkin-desk")).to_have_attribute("data-offline-ready", "true")
    wait_until(page, "() => navigator.serviceWorker.controller !== null || "
                     "navigator.serviceWorker.ready.then(() => true)")
    wait_until(page, ROSTER_STORED, f"seminar-checkin:{venue['event_id']}")

    go_offline(page)
    page.reload()
    expect(page.locator("#checkin-offline")).to_contain_text("Offline")
    code = page.locator("#code-form input[name=code]")
    code.fill(venue["budi_code"])
    code.press("Enter")
    expect(page.locator("#checkin-outcome [data-outcome]")).to_contain_text("Budi Santoso")

    page.context.set_offline(False)
    expect(page.locator("#checkin-counter [data-arrived]")).to_have_text("1")
    browsing.assert_clean()


def test_offline_desk_speaks_indonesian(browsing, venue):
    page = browsing.new_page(phone=True, locale="id-ID")
    log_in(page, venue["desk"])
    page.context.add_cookies([{"name": "lang", "value": "id", "url": browsing.base_url}])
    page.goto(_desk_url(venue))
    expect(page.locator("html")).to_have_attribute("lang", "id")
    wait_until(page, ROSTER_STORED, f"seminar-checkin:{venue['event_id']}")
    go_offline(page)
    expect(page.locator("#checkin-offline")).to_contain_text("Luring: 0 kedatangan menunggu")
    code = page.locator("#code-form input[name=code]")
    code.fill("NOSUCHCODE234567")
    code.press("Enter")
    expect(page.locator("#checkin-outcome")).to_contain_text("Tidak ada delegasi terkonfirmasi")
    page.context.set_offline(False)
    browsing.assert_clean()


def _photo_jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (700, 900), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def test_offline_desk_shows_the_delegate_photo(browsing, venue):
    """The desk keeps small photos on the device and shows them with no network."""
    from seminar_app.extensions import db
    from seminar_app.models import Registration
    from seminar_app.services.registration import photos

    photos.set_photo(db.session.get(Registration, venue["siti"]), _photo_jpeg())
    release_db()
    page = browsing.new_page(phone=True, locale="id-ID")
    log_in(page, venue["desk"])
    page.goto(_desk_url(venue))
    key = f"seminar-checkin:{venue['event_id']}"
    wait_until(page, ROSTER_STORED, key)
    wait_until(page, "key => Object.keys((JSON.parse(localStorage.getItem(key + ':photos') "
                     "|| '{}').photos || {})).length === 1", key)

    go_offline(page)
    page.locator("#q").fill("rahma")
    page.locator("#search-form button[type=submit]").tap()
    result = page.locator("#checkin-results li").filter(has_text="Siti Rahmawati")
    photo = result.locator("img[data-desk-photo]")
    expect(photo).to_be_visible()
    assert photo.get_attribute("src").startswith("data:image/jpeg;base64,")
    result.get_by_role("button").tap()
    outcome = page.locator("#checkin-outcome [data-outcome]")
    expect(outcome).to_have_attribute("data-outcome", "success")
    expect(outcome.locator("img[data-desk-photo]")).to_be_visible()
    page.context.set_offline(False)
    browsing.assert_clean()
