"""Staff invite officials by email; one accepts through the personal link, one declines.

Journey 3 of issue 5: a staff member with the invite right imports invitees from a CSV file
(preview first), sends the invitations (real SMTP sink), an invitee opens the link from the
email on a phone and registers with the form prefilled, another declines with a reason, and
the tracking page shows both answers.
"""

import re

import pytest
from playwright.sync_api import expect

from seminar_app.services.invitations import rsvp
from seminar_app.services.invitations.import_template import template_headers
from tests.e2e.pages import has_no_horizontal_scroll, log_in, release_db, screenshot
from tests.factories import add_invitee, add_team_member, registration_event

pytestmark = pytest.mark.e2e

RSVP_LINK = re.compile(r"https?://\S+?(/i/[A-Za-z0-9_-]+)")
CSV = (
    "Honorific,Name,Email,Country,Organisation,Position,Language,Group\n"
    "H.E.,Retno Marsudi,retno@example.org,Indonesia,Kementerian Luar Negeri,Menteri,id,ASEAN\n"
    "Amb.,Kwame Mensah,kwame@example.org,GH,Embassy of Ghana,Ambassador,en,Africa\n"
    "Dr.,Broken Row,not-an-email,Atlantis,Nowhere,,en,\n"
    "Ms.,Already Answered,answered@example.org,TH,Embassy of Thailand,Counsellor,en,ASEAN\n"
)
#: (phone, language) of the staff member: a desktop in English, a phone in Bahasa Indonesia
JOURNEYS = [pytest.param(False, "en", id="desktop-en"), pytest.param(True, "id", id="phone-id")]
TEXTS = {
    "en": {"check": "Check the file", "bad_email": "Enter a valid email address.",
           "import": "Add 2 new invitees", "new": "2 new invitees will be added.",
           "existing": "1 is already invited", "refused": "1 row is refused",
           "not_sent": "Not sent", "send": "Send now", "receive": "2 people will receive",
           "confirm": "Confirm: send to 2 people", "accepted": "Accepted",
           "declined": "Declined"},
    "id": {"check": "Periksa berkas", "bad_email": "Masukkan alamat email yang valid.",
           "import": "Tambahkan 2 undangan baru", "new": "2 undangan baru akan ditambahkan.",
           "existing": "1 sudah diundang", "refused": "1 baris ditolak",
           "not_sent": "Belum dikirim", "send": "Kirim sekarang",
           "receive": "2 orang akan menerima", "confirm": "Konfirmasi: kirim ke 2 orang",
           "accepted": re.compile("Diterima|Menerima"), "declined": "Ditolak"},
}


@pytest.fixture
def mail(app, smtp_server, live_server, monkeypatch):
    """The SMTP sink, with the links in emails pointing at the live server."""
    monkeypatch.setitem(app.config, "BASE_URL", live_server)
    return smtp_server


@pytest.fixture
def forum(make_user):
    organizer = make_user("organizer")
    staff = make_user("staff", name="Protocol Officer", language="")  # follows the browser
    event = registration_event(organizer, title="South-South Forum", slug="ssc-forum")
    add_team_member(event, staff, can_invite=True)
    # on the list already, and answered: the import skips her, the mailing leaves her out
    rsvp.decline_invitation(add_invitee(event, name="Already Answered",
                                        email="answered@example.org"))
    facts = {"event_id": event.id, "staff": staff.email, "slug": event.slug}
    release_db()
    return facts


def _link_for(sink, address: str, count: int) -> str:
    messages = sink.wait_for(count)
    for item in messages:
        if item["to"] == [address]:
            text = item["message"].get_body(("plain",)).get_content()
            found = RSVP_LINK.search(text)
            assert found, f"no personal link in the email to {address}"
            return found.group(1)
    raise AssertionError(f"no email to {address}")


@pytest.mark.parametrize(("phone", "language"), JOURNEYS)
def test_staff_invite_one_accepts_and_registers_another_declines(browsing, forum, mail, tmp_path,
                                                                 phone, language):
    texts = TEXTS[language]
    base = f"/manage/events/{forum['event_id']}/invitations"
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    log_in(page, forum["staff"])

    # 1. import: a template in the page's language, a preview with the problems first and
    # the counts on the button, then only the new valid rows
    page.goto(f"{base}/import")
    expect(page.locator("html")).to_have_attribute("lang", language)
    with page.expect_download() as info:
        page.locator("[data-import-templates] a[href$='csv']").click()
    header = info.value.path().read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.split(",") == template_headers(language)
    upload = tmp_path / "invitees.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name=texts["check"]).click()
    expect(page.locator("body")).to_contain_text(texts["bad_email"])
    expect(page.locator("body")).to_contain_text("Retno Marsudi")
    counts = page.locator("[data-import-counts]")
    for key in ("new", "existing", "refused"):
        expect(counts).to_contain_text(texts[key])
    if phone:
        assert has_no_horizontal_scroll(page)
    elif language == "en":
        screenshot(page, "invitations_import_preview")
    page.get_by_role("button", name=texts["import"]).click()
    expect(page).to_have_url(re.compile(rf"{base}$"))
    rows = page.locator("#invitee-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Kwame Mensah")).to_contain_text(texts["not_sent"])

    # 2. send the invitations: who answered already is left out
    page.goto(f"{base}/mailings/new?kind=invitation")
    expect(page.locator("#audience-count")).to_contain_text("2")
    page.get_by_role("button", name=texts["send"]).click()
    expect(page.locator("[data-recipients]")).to_contain_text(texts["receive"])
    if phone:
        assert has_no_horizontal_scroll(page)
    page.get_by_role("button", name=texts["confirm"]).click()
    expect(page.locator("body")).to_contain_text("2")
    retno_link = _link_for(mail, "retno@example.org", 2)
    kwame_link = _link_for(mail, "kwame@example.org", 2)
    messages = {item["to"][0]: item["message"] for item in mail.wait_for(2)}
    assert "List-Unsubscribe" in messages["kwame@example.org"]
    assert messages["retno@example.org"].get_body(("html",)) is not None

    # 3. Retno accepts on her phone; the form comes prefilled from the invitation
    phone = browsing.new_page(phone=True)
    phone.goto(retno_link)
    expect(phone.locator("html")).to_have_attribute("lang", "id")  # her language
    expect(phone.locator("body")).to_contain_text("South-South Forum")
    assert has_no_horizontal_scroll(phone)
    if language == "en":
        screenshot(phone, "invitation_rsvp_phone_id")
    phone.locator(f"a[href*='{retno_link}/register']").tap()
    form = phone.locator(f"form[action*='{retno_link}/register']")
    expect(form.locator("#email")).to_have_value("retno@example.org")
    expect(form.locator("#organisation")).to_have_value("Kementerian Luar Negeri")
    expect(form.locator("#family_name")).to_have_value("Marsudi")
    form.locator("#delegation_role").select_option("head")
    form.locator("#consent").check()
    form.locator("button[type=submit]").tap()
    phone.wait_for_url(re.compile(r"/r/"))
    expect(phone.locator("html")).to_have_attribute("lang", "id")
    expect(phone.locator(".flash-messages")).to_contain_text("pendaftaran Anda telah dikonfirmasi")
    expect(phone.locator(".alert-success[role=status]")).to_contain_text("Terkonfirmasi")

    # 4. Kwame declines with a reason
    other = browsing.new_page()
    other.goto(kwame_link)
    other.locator(f"a[href*='{kwame_link}/decline']").click()
    other.locator("textarea").fill("The Ambassador is travelling that week.")
    other.get_by_role("button", name="Decline the invitation").click()
    expect(other.locator("body")).to_contain_text("The Ambassador is travelling that week.")

    # 5. the tracking page shows both answers and the funnel
    page.goto(base)
    expect(rows.filter(has_text="Retno Marsudi")).to_contain_text(texts["accepted"])
    expect(rows.filter(has_text="Kwame Mensah")).to_contain_text(texts["declined"])
    if phone:
        assert has_no_horizontal_scroll(page)
    elif language == "en":
        screenshot(page, "invitations_tracking")
    browsing.assert_clean()
