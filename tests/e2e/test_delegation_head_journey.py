"""A head of delegation manages it from their personal page (issue 14): sees every member with
reference and status, adds one, resends a member's link and removes one; and the delegation
form's error summary leads to the fields. On a desktop in English and on a phone in Bahasa
Indonesia; axe checks every page visited."""

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from seminar_app.services.registration import delegations as service
from tests.e2e.pages import has_no_horizontal_scroll, release_db
from tests.factories import registration_event, service_data

pytestmark = pytest.mark.e2e

JOURNEYS = [pytest.param(False, "en", id="desktop-en"), pytest.param(True, "id", id="phone-id")]
TEXTS = {
    "en": {"add": "Add a member", "submit": "Add this member", "resend": "Email {} a new link",
           "remove": "Remove {}…", "confirm": "Yes, remove {}", "cancelled": "Cancelled",
           "register": "Register the delegation", "member": "Member 2"},
    "id": {"add": "Tambah anggota", "submit": "Tambahkan anggota ini",
           "resend": "Kirim tautan baru ke {}", "remove": "Keluarkan {}…",
           "confirm": "Ya, keluarkan {}", "cancelled": "Dibatalkan",
           "register": "Daftarkan delegasi", "member": "Anggota 2"},
}


@pytest.fixture
def delegation(make_user):
    event = registration_event(make_user("organizer"), title="Maritime Forum", capacity=10)
    head = service_data(email="head@th.example.org", country="TH", delegation_role="head",
                        honorific="he", given_name="Somchai", family_name="Wongsakul")
    members = [{"honorific": "ms", "given_name": "Anong", "family_name": "Srisuk",
                "email": "anong@th.example.org", "delegation_role": "delegate"},
               {"honorific": "mr", "given_name": "Preecha", "family_name": "Kittisak",
                "email": "preecha@th.example.org", "delegation_role": "observer"}]
    found, tokens = service.register_delegation(event, head, members)
    facts = {"slug": event.slug, "token": tokens[found.head_registration_id],
             "references": [r.reference for r in found.members]}
    release_db()
    return facts


@pytest.mark.parametrize(("phone", "language"), JOURNEYS)
def test_head_adds_resends_and_removes_members(browsing, delegation, smtp_server, phone,
                                                language):
    texts = TEXTS[language]
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    page.goto(f"/r/{delegation['token']}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    section = page.locator("[data-delegation-members]")
    for reference in delegation["references"]:
        expect(section.locator(f"[data-member='{reference}']")).to_be_visible()
        expect(section.locator(f"[data-member='{reference}'] [data-member-status]")) \
            .to_be_visible()
    if phone:
        assert has_no_horizontal_scroll(page)

    section.get_by_text(texts["add"], exact=True).click()
    form = section.locator("form[action$='/delegation/members']")
    form.locator("#member-honorific").select_option("dr")
    form.locator("#member-given_name").fill("Malee")
    form.locator("#member-family_name").fill("Chaiyo")
    form.locator("#member-email").fill("malee@th.example.org")
    if phone:
        assert has_no_horizontal_scroll(page)
    form.get_by_role("button", name=texts["submit"]).click()
    page.wait_for_url(re.compile(r"/r/[^/]+#delegation$"))
    expect(page.locator(".flash-messages")).to_contain_text("Malee")
    expect(section.locator("[data-member]")).to_have_count(4)

    section.get_by_role("button", name=texts["resend"].format("Ms. Anong Srisuk")
                        if language == "en" else re.compile("Anong")).first.click()
    expect(page.locator(".flash-messages")).to_contain_text("anong@th.example.org")

    row = section.locator("[data-member]").filter(has_text="Preecha")
    row.locator("summary").click()
    row.get_by_role("button", name=re.compile(texts["confirm"].format(".*Preecha"))).click()
    expect(section.locator("[data-member]").filter(has_text="Preecha")
           .locator("[data-member-status]")).to_have_text(texts["cancelled"])
    if phone:
        assert has_no_horizontal_scroll(page)
    # Malee's confirmation, Anong's new link, Preecha's cancellation; the delegation's own
    # emails, queued before the SMTP server started (the head's confirmation and list, the
    # members' confirmations), go with the first of them, once each
    recipients = Counter(m["to"][0] for m in smtp_server.wait_for(7))
    assert recipients == {"head@th.example.org": 2, "anong@th.example.org": 2,
                          "malee@th.example.org": 1, "preecha@th.example.org": 2}


@pytest.mark.parametrize(("phone", "language"), JOURNEYS)
def test_the_error_summary_leads_to_each_field(browsing, delegation, phone, language):
    texts = TEXTS[language]
    browsing.allow_status(422)
    page = browsing.new_page(phone=phone, locale="id-ID" if language == "id" else "en-GB")
    page.goto(f"/events/{delegation['slug']}/register/delegation")
    form = page.locator("form[action*='/register/delegation']")
    rows = page.locator("[data-member-rows] [data-member-row]")
    # empty rows carry no required marks
    expect(rows.first.locator("[aria-required='true']")).to_have_count(0)
    rows.nth(1).locator("input[name$='-given_name']").fill("Malee")
    rows.nth(1).locator("input[name$='-email']").fill("not-an-email")
    form.get_by_role("button", name=texts["register"]).click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    links = summary.get_by_role("link", name=re.compile(texts["member"]))
    expect(links).to_have_count(2)  # the form of address, not chosen, and the email
    link = summary.locator("a[href='#members-1-email']")
    expect(link).to_contain_text(texts["member"])
    link.click()
    expect(page.locator(":focus")).to_have_attribute("name", "members-1-email")
    if phone:
        assert has_no_horizontal_scroll(page)
