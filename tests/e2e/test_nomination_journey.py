"""A mission nominates its delegation (issue 16): the focal point, on a phone in Bahasa
Indonesia, nominates three members with photos and a note verbale; staff return the nomination
with a reason (emailed to the focal point in Indonesian); the focal point adds the missing photo
and submits again; staff accredit everyone; the badges carry the photos; the check-in desk shows
a member's photo with no network. axe checks every page visited."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from seminar_app.services.invitations.invitations import invitee_token
from tests.e2e.pages import (
    go_offline,
    has_no_horizontal_scroll,
    log_in,
    release_db,
    wait_until,
)
from tests.factories import add_invitee, registration_event

pytestmark = pytest.mark.e2e

MEMBERS = [
    {"honorific": "he", "given_name": "Somchai", "family_name": "Wongsakul", "role": "head",
     "position": "Ambassador", "email": "somchai@th.example.org"},
    {"honorific": "ms", "given_name": "Anong", "family_name": "Srisuk", "role": "delegate",
     "position": "Counsellor", "email": "anong@th.example.org"},
    {"honorific": "mr", "given_name": "Preecha", "family_name": "Kittisak", "role": "delegate",
     "position": "First Secretary", "email": "preecha@th.example.org"},
]
REASON = "Foto anggota ketiga belum ada. Please add it."


def _pdf() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "Note verbale No. 123/2026")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _jpeg(colour) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (700, 900), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def mission(app, make_user, smtp_server, live_server, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    organizer = make_user("organizer", name="Protocol Officer")
    event = registration_event(organizer, title="South-South Forum", capacity=20)
    invitee = add_invitee(event, kind="organisation", name="Anong Chaiyaporn",
                          email="focal@th.example.org", country="TH", language="id",
                          organisation="Royal Thai Embassy in Jakarta")
    facts = {"event_id": event.id, "token": invitee_token(invitee), "staff": organizer.email}
    release_db()
    return facts


def _add_member(page, base: str, member: dict, photo: bytes | None) -> None:
    page.goto(base)
    form = page.locator("form[data-member-form]")
    form.locator("[name=honorific]").select_option(member["honorific"])
    form.locator("[name=given_name]").fill(member["given_name"])
    form.locator("[name=family_name]").fill(member["family_name"])
    form.locator("[name=role]").select_option(member["role"])
    form.locator("[name=position]").fill(member["position"])
    form.locator("[name=email]").fill(member["email"])
    form.locator("button[type=submit]").click()
    expect(page.locator("#photo")).to_be_visible()  # on to the member's photo
    if photo is not None:
        _upload_photo(page, photo)


def _upload_photo(page, photo: bytes) -> None:
    # the crop box's script (deferred) listens for the file only once the page has loaded
    page.wait_for_load_state("load")
    page.locator("#photo-file").set_input_files(
        {"name": "foto.jpg", "mimeType": "image/jpeg", "buffer": photo})
    expect(page.locator("[data-photo-crop]")).to_be_visible(timeout=15_000)  # the crop box
    page.locator("form[data-photo-form] button[type=submit]").first.click()
    expect(page.locator("main")).to_contain_text("Foto telah disimpan.")


def test_mission_nominates_staff_return_then_accredit_badges_and_desk(browsing, mission,
                                                                      smtp_server):
    base = f"/i/{mission['token']}/nominate"
    focal = browsing.new_page(phone=True, locale="id-ID")
    focal.goto(f"/i/{mission['token']}")
    expect(focal).to_have_url(f"{browsing.base_url}{base}")
    expect(focal.locator("html")).to_have_attribute("lang", "id")
    expect(focal.locator("h1")).to_have_text("Nominasikan delegasi Anda")
    focal.locator(f"form[action='{base}/start'] button[type=submit]").click()
    focal.locator("input[name=letter]").set_input_files(
        {"name": "nota-verbal.pdf", "mimeType": "application/pdf", "buffer": _pdf()})
    focal.locator(f"form[action='{base}/letter'] button[type=submit]").click()
    expect(focal.locator("[data-letter]")).to_contain_text("nota-verbal.pdf")
    colours = [(200, 40, 40), (40, 160, 60), (40, 60, 200)]
    for index, member in enumerate(MEMBERS):  # the third one's photo is forgotten
        _add_member(focal, base, member, _jpeg(colours[index]) if index < 2 else None)
    focal.goto(base)
    expect(focal.locator("[data-member-status=proposed]")).to_have_count(3)
    assert has_no_horizontal_scroll(focal)
    focal.locator(f"form[action='{base}/submit'] button[type=submit]").click()
    expect(focal.locator("[data-nomination-status]")).to_have_attribute(
        "data-nomination-status", "submitted")

    # staff return it with a reason
    staff = browsing.new_page()
    log_in(staff, mission["staff"])
    staff.goto(f"/manage/events/{mission['event_id']}/accreditation")
    staff.get_by_role("link", name="Royal Thai Embassy in Jakarta").first.click()
    expect(staff.locator("iframe")).to_be_visible()  # the note verbale, in the browser
    returning = staff.locator("form[action$='/return']")
    returning.locator("textarea").fill(REASON)
    returning.locator("button[type=submit]").click()
    expect(staff.locator("body")).to_contain_text("Returned")
    email = next(item for item in smtp_server.wait_for(1)
                 if item["to"] == ["focal@th.example.org"] and REASON in
                 item["message"].get_body(("plain",)).get_content())
    assert email["message"]["Subject"]

    # the focal point reads the reason, adds the missing photo, submits again
    focal.goto(base)
    expect(focal.locator("[data-return-reason]")).to_contain_text(REASON)
    third = focal.locator("[data-member]").filter(has_text="Preecha")
    third.locator(f"a[href*='{base}/members/']").click()
    _upload_photo(focal, _jpeg(colours[2]))
    focal.goto(base)
    focal.locator(f"form[action='{base}/submit'] button[type=submit]").click()
    expect(focal.locator("[data-nomination-status]")).to_have_attribute(
        "data-nomination-status", "submitted")

    # staff accredit all three
    staff.goto(f"/manage/events/{mission['event_id']}/accreditation")
    staff.get_by_role("link", name="Royal Thai Embassy in Jakarta").first.click()
    staff.locator("button[form=accredit-all-form]").click()
    expect(staff.locator("body")).to_contain_text("Somchai")
    focal.goto(base)
    expect(focal.locator("[data-member-status=accredited]")).to_have_count(3)
    expect(focal.locator("[data-registration-status=confirmed]")).to_have_count(3)

    # the badges carry the three photos
    badges = staff.request.get(f"/manage/events/{mission['event_id']}/badges.pdf")
    assert badges.ok and badges.headers["content-type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(badges.body())).pages
    assert sum(len(page.images) for page in pages) == 3

    # the check-in desk shows a member's photo with no network
    staff.goto(f"/manage/events/{mission['event_id']}/checkin")
    key = f"seminar-checkin:{mission['event_id']}"
    wait_until(staff, "key => (JSON.parse(localStorage.getItem(key) || '{}').rows || [])"
                      ".length === 3", key)
    wait_until(staff, "key => Object.keys((JSON.parse(localStorage.getItem(key + ':photos') "
                      "|| '{}').photos || {})).length === 3", key)
    go_offline(staff)
    staff.locator("#q").fill("Srisuk")
    staff.locator("#search-form button[type=submit]").click()
    found = staff.locator("#checkin-results li").filter(has_text="Anong Srisuk")
    expect(found.locator("img[data-desk-photo]")).to_be_visible()
    staff.context.set_offline(False)
    browsing.assert_clean()
