"""The head of a delegation manages it through their personal link (issue 14): the page lists
every member with reference and status; the head adds a member (same input rules, capacity
and quota; the member gets their own email and link), removes one (a cancellation: the place
returns and the waiting list moves) or resends a member's link (older links stop working).
Only the head of that delegation, through their own link; a member's link manages nothing.
Also: the delegation form's member rows carry their own needs and visa letter, an error
summary with links to each field in error, and empty rows show no required marks."""

import re
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Delegation, Registration, RegistrationStatus
from seminar_app.services.errors import NotFound, PermissionDenied
from seminar_app.services.registration import delegations as service
from seminar_app.services.registration import registrations as registration_service
from tests.conftest import post_form
from tests.factories import form_fields, make_registration, registration_event, service_data

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
PENDING, CANCELLED = RegistrationStatus.PENDING, RegistrationStatus.CANCELLED
_numbers = iter(range(1, 100_000))


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def delegation(event, size=3, *, country="TH", language="en"):
    """A delegation of ``size`` people; (delegation, {registration id: token})."""
    number = next(_numbers)
    head = service_data(country=country, email=f"head{number}@example.org", language=language,
                        delegation_role="head", honorific="he", given_name="Kepala",
                        family_name="Kepala", phone="+66 2 123 4567",
                        dietary="Halal only")
    members = [{"honorific": "mr", "given_name": f"Anggota{chr(65 + i)}",
                "family_name": "Delegasi", "email": f"d{number}-m{i}@example.org",
                "delegation_role": "delegate", "position": ""} for i in range(size - 1)]
    return service.register_delegation(event, head, members)


def head_token(found, tokens):
    return tokens[found.head_registration_id]


def member_of(found, index=1):
    return service.delegation_members(found)[index]


def add_fields(**overrides) -> dict:
    fields = {"honorific": "ms", "honorific_other": "", "given_name": "Siti",
              "family_name": "Tambahan", "email": f"added{next(_numbers)}@example.org",
              "delegation_role": "delegate", "position": "Advisor", "language": ""}
    fields.update(overrides)
    return {f"member-{key}": value for key, value in fields.items()}


def audit(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


# --- the head's page -------------------------------------------------------------------------

def test_the_heads_page_lists_every_member_with_reference_and_status(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 4)
    html = client.get(f"/r/{head_token(found, tokens)}").get_data(as_text=True)
    section = html[html.index('id="delegation"'):]
    for registration in found.members:
        assert registration.reference in section and registration.email in section
        assert registration.given_name in section
    assert section.count("data-member=") == 4 and section.count("Confirmed") >= 4
    assert "Head of delegation" in section and "Delegate" in section
    # the members' other personal data is not shown to the head
    other = member_of(found)
    registration_service.update_registration(other, data={
        **service_data(email=other.email, given_name=other.given_name, family_name="Delegasi",
                       country="TH", phone="+66 2 765 4321", dietary="Vegan please")},
        actor=owner)
    section = client.get(f"/r/{head_token(found, tokens)}").get_data(as_text=True)
    section = section[section.index('id="delegation"'):]
    assert "+6627654321" not in section and "Vegan please" not in section


def test_the_page_after_registering_a_delegation_lists_all_members(client, owner):
    event = registration_event(owner, capacity=20)
    data = {**form_fields(email="chief@example.org", country="TH", phone=""),
            "delegation_name": "Delegation of Siam"}
    for index in range(3):
        data.update({f"members-{index}-{key}": value for key, value in {
            "honorific": "mr", "given_name": f"Row{chr(65 + index)}", "family_name": "Member",
            "email": f"row{index}@example.org", "delegation_role": "delegate",
            "position": ""}.items()})
    response = post_form(client, f"/events/{event.slug}/register/delegation", data,
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Delegation of Siam" in html
    found = db.session.scalars(select(Delegation)).one()
    for registration in found.members:
        assert registration.reference in html and registration.email in html


def test_a_members_page_has_no_controls_and_its_posts_are_refused(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 3)
    member = member_of(found)
    other = member_of(found, 2)
    html = client.get(f"/r/{tokens[member.id]}").get_data(as_text=True)
    assert 'id="delegation"' not in html and other.reference not in html
    assert "/delegation/members" not in html
    base = f"/r/{tokens[member.id]}/delegation/members"
    assert post_form(client, base, add_fields()).status_code == 403
    assert post_form(client, f"{base}/{other.id}/remove").status_code == 403
    assert post_form(client, f"{base}/{other.id}/resend").status_code == 403
    db.session.expire_all()
    assert db.session.get(Registration, other.id).status == CONFIRMED
    assert len(found.members) == 3 and not audit("delegation.member_remove")


def test_a_single_delegates_link_manages_nothing(client, owner):
    event = registration_event(owner, capacity=20)
    single, token = make_registration(event)
    found, _tokens = delegation(event, 2)
    response = post_form(client, f"/r/{token}/delegation/members/{member_of(found).id}/remove")
    assert response.status_code == 403
    assert post_form(client, f"/r/{token}/delegation/members", add_fields()).status_code == 403


def test_the_head_cannot_touch_another_delegations_member(client, owner):
    event = registration_event(owner, capacity=20)
    mine, my_tokens = delegation(event, 2)
    theirs, _tokens = delegation(event, 3, country="VN")
    stranger = member_of(theirs)
    base = f"/r/{head_token(mine, my_tokens)}/delegation/members/{stranger.id}"
    assert post_form(client, f"{base}/remove").status_code == 404
    assert post_form(client, f"{base}/resend").status_code == 404
    assert post_form(client, f"/r/{head_token(mine, my_tokens)}/delegation/members/999999/"
                             "remove").status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, stranger.id).status == CONFIRMED
    with pytest.raises(NotFound):
        service.remove_member(mine.head, stranger.id)
    with pytest.raises(PermissionDenied):
        service.remove_member(stranger, mine.head_registration_id)


def test_the_head_cannot_remove_themselves_through_the_member_controls(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    token = head_token(found, tokens)
    response = post_form(client, f"/r/{token}/delegation/members/{found.head_registration_id}/"
                                 "remove")
    assert response.status_code == 404
    assert db.session.get(Registration, found.head_registration_id).status == CONFIRMED


def test_actions_need_csrf(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    member = member_of(found)
    response = client.post(f"/r/{head_token(found, tokens)}/delegation/members/{member.id}/remove")
    assert response.status_code == 400
    assert db.session.get(Registration, member.id).status == CONFIRMED


# --- adding ----------------------------------------------------------------------------------

def test_the_head_adds_a_member_who_gets_their_own_email_and_link(client, owner, smtp_server):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    token = head_token(found, tokens)
    sent = len(smtp_server.wait_for(3))  # two confirmations and the head's summary
    response = post_form(client, f"/r/{token}/delegation/members",
                         add_fields(email="siti@example.org", language="id"))
    assert response.status_code == 303
    added = db.session.scalar(select(Registration).where(
        Registration.email == "siti@example.org"))
    assert added.delegation_id == found.id and added.status == CONFIRMED
    assert added.country == "TH" and added.organisation == "Embassy"
    [entry] = audit("delegation.member_add")
    assert entry.object_id == added.id and entry.details["by_head"] == found.head.reference
    message = [m["message"] for m in smtp_server.wait_for(sent + 1)
               if parseaddr(m["message"]["To"])[1] == "siti@example.org"][0]
    assert "Pendaftaran" in message["Subject"] or "pendaftaran" in message["Subject"]
    link = re.search(r"/r/([A-Za-z0-9_-]{20,})", message.get_body(("plain",)).get_content())
    assert registration_service.get_registration_by_token(link.group(1)).id == added.id
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert added.reference in html and "Siti" in html


def test_an_added_member_who_does_not_fit_waits(client, owner):
    event = registration_event(owner, capacity=3)
    found, tokens = delegation(event, 3)  # the event is full now
    response = post_form(client, f"/r/{head_token(found, tokens)}/delegation/members",
                         add_fields(email="late@example.org"))
    assert response.status_code == 303
    added = db.session.scalar(select(Registration).where(
        Registration.email == "late@example.org"))
    assert added.status == WAITLISTED and added.delegation_id == found.id
    assert statuses_of(found) == {CONFIRMED, WAITLISTED}


def statuses_of(found):
    db.session.expire_all()
    return {r.status for r in db.session.get(Delegation, found.id).members}


def test_an_added_member_counts_in_the_country_quota(owner):
    event = registration_event(owner, capacity=50, country_quota=3)
    found, _tokens = delegation(event, 3, country="TH")
    added, _token = service.add_member(found.head, {**add_data(), "country": "TH"})
    assert added.status == WAITLISTED
    other, _token = service.add_member(found.head, {**add_data(), "country": "VN"})
    assert other.status == CONFIRMED and other.country == "VN"


def add_data(**overrides):
    return {key.removeprefix("member-"): value for key, value in add_fields(**overrides).items()}


def test_members_join_a_waiting_or_pending_delegation_in_its_status(owner):
    event = registration_event(owner, capacity=10, requires_approval=True)
    pending, _tokens = delegation(event, 2)
    assert service.add_member(pending.head, add_data())[0].status == PENDING
    full = registration_event(owner, capacity=2)
    waiting, _tokens = delegation(full, 3)
    assert statuses_of(waiting) == {WAITLISTED}
    make_registration(full)  # one place left is taken by a single delegate meanwhile
    assert service.add_member(waiting.head, add_data())[0].status == WAITLISTED


def test_adding_applies_the_same_input_rules(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    token = head_token(found, tokens)
    url = f"/r/{token}/delegation/members"
    response = post_form(client, url, add_fields(email="not-an-email", given_name=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#member-email"' in html and 'href="#member-given_name"' in html
    assert 'id="member-email-error"' in html
    taken = member_of(found).email
    response = post_form(client, url, add_fields(email=taken.upper()))
    assert response.status_code == 409
    assert "already registered" in response.get_data(as_text=True)
    response = post_form(client, url, add_fields(given_name="<script>"))
    assert response.status_code == 422
    client.set_cookie("lang", "id")
    response = post_form(client, url, add_fields(email="x"), headers={"Accept-Language": "id"})
    assert response.status_code == 422
    assert "Masukkan alamat email yang valid" in response.get_data(as_text=True)
    assert len(found.members) == 2 and not audit("delegation.member_add")


def test_no_member_is_added_once_registration_closed(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    event.registration_closes_at = event.created_at  # closed since it was created
    db.session.commit()
    token = head_token(found, tokens)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "data-add-refusal" in html and 'action="/r/' + token + '/delegation/members"' \
        not in html
    assert post_form(client, f"/r/{token}/delegation/members", add_fields()).status_code == 409


# --- removing and resending ------------------------------------------------------------------

def test_removing_a_member_returns_the_place_to_the_waiting_list(client, owner, smtp_server):
    event = registration_event(owner, capacity=3)
    found, tokens = delegation(event, 3)
    waiting, _token = make_registration(event, email="waiting@example.org")
    assert waiting.status == WAITLISTED
    member = member_of(found)
    response = post_form(client, f"/r/{head_token(found, tokens)}/delegation/members/"
                                 f"{member.id}/remove")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, member.id).status == CANCELLED
    assert db.session.get(Registration, waiting.id).status == CONFIRMED
    [entry] = audit("delegation.member_remove")
    assert entry.object_id == member.id and entry.details["by_head"] == found.head.reference
    assert [e.object_id for e in audit("registration.cancel")] == [member.id]
    recipients = {parseaddr(m["message"]["To"])[1] for m in smtp_server.wait_for(6)}
    assert {member.email, "waiting@example.org"} <= recipients
    html = client.get(f"/r/{head_token(found, tokens)}").get_data(as_text=True)
    assert "waiting list got the place" in html and "Cancelled" in html
    with pytest.raises(registration_service.LinkNoLongerWorks):
        registration_service.get_registration_by_token(tokens[member.id])
    again = post_form(client, f"/r/{head_token(found, tokens)}/delegation/members/"
                              f"{member.id}/remove")
    assert again.status_code == 409


def test_resending_a_members_link_revokes_the_older_one(client, owner, smtp_server):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    member = member_of(found)
    sent = len(smtp_server.wait_for(3))
    response = post_form(client, f"/r/{head_token(found, tokens)}/delegation/members/"
                                 f"{member.id}/resend")
    assert response.status_code == 303
    assert client.get(f"/r/{tokens[member.id]}").status_code == 404
    message = smtp_server.wait_for(sent + 1)[-1]["message"]
    assert parseaddr(message["To"])[1] == member.email
    link = re.search(r"/r/([A-Za-z0-9_-]{20,})", message.get_body(("plain",)).get_content())
    assert client.get(f"/r/{link.group(1)}").status_code == 200
    assert [e.object_id for e in audit("delegation.member_resend_link")] == [member.id]


def test_the_heads_page_in_indonesian(client, owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 2)
    client.set_cookie("lang", "id")
    html = client.get(f"/r/{head_token(found, tokens)}",
                      headers={"Accept-Language": "id"}).get_data(as_text=True)
    section = html[html.index('id="delegation"'):]
    assert "Tambah anggota" in section and "Terkonfirmasi" in section
    assert "Kirim tautan baru" in section and "Kode referensi" in section


# --- the delegation form ---------------------------------------------------------------------

def member_row(index, **overrides):
    fields = {"honorific": "mr", "honorific_other": "", "given_name": f"Row{chr(65 + index)}",
              "family_name": "Member", "email": f"row{index}-{next(_numbers)}@example.org",
              "delegation_role": "delegate", "position": "", "language": ""}
    fields.update(overrides)
    return {f"members-{index}-{key}": value for key, value in fields.items()}


def test_member_rows_carry_their_own_needs_and_visa_letter(client, owner):
    event = registration_event(owner, capacity=20)
    html = client.get(f"/events/{event.slug}/register/delegation").get_data(as_text=True)
    assert 'name="members-0-dietary"' in html and 'name="members-0-needs_visa_letter"' in html
    assert 'name="members-0-passport_expiry"' in html and "<details" in html
    expiry = event.end_at.date().replace(year=event.end_at.year + 2).isoformat()
    data = {**form_fields(phone="", country="TH"),
            **member_row(0, email="visa@example.org", dietary="Vegetarian",
                         accessibility="Wheelchair"),
            "members-0-needs_visa_letter": "y", "members-0-passport_number": "ab 123456",
            "members-0-nationality": "TH", "members-0-birth_date": "1980-05-01",
            "members-0-birth_place": "Bangkok", "members-0-passport_expiry": expiry,
            **member_row(1, email="plain@example.org")}
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    assert response.status_code == 303
    visa = db.session.scalar(select(Registration).where(Registration.email == "visa@example.org"))
    assert (visa.dietary, visa.accessibility, visa.needs_visa_letter) == (
        "Vegetarian", "Wheelchair", True)
    assert visa.passport_number == "AB123456" and visa.nationality == "TH"
    plain = db.session.scalar(select(Registration).where(
        Registration.email == "plain@example.org"))
    assert not plain.needs_visa_letter and plain.dietary == ""


def test_a_members_visa_letter_needs_the_passport_details(client, owner):
    event = registration_event(owner, capacity=20)
    data = {**form_fields(phone=""), **member_row(0), "members-0-needs_visa_letter": "y"}
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="members-0-passport_number-error"' in html
    assert re.search(r'<details[^>]*data-member-needs[^>]*open', html)
    assert db.session.scalar(select(Registration)) is None


def test_the_form_has_an_error_summary_linking_each_field(client, owner):
    event = registration_event(owner, capacity=20)
    data = {**form_fields(phone="", given_name=""), **member_row(0, email="nope"),
            **member_row(2, given_name="")}
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = html[html.index("data-error-summary"):html.index("</ul>",
                                                               html.index("data-error-summary"))]
    assert html.index("data-error-summary") < html.index('name="given_name"')
    for target in ("#given_name", "#members-0-email", "#members-2-given_name"):
        assert f'href="{target}"' in summary, target
    assert "Member 1" in summary and "Member 3" in summary
    for target in ("given_name", "members-0-email", "members-2-given_name"):
        assert f'id="{target}"' in html
    client.set_cookie("lang", "id")
    html = post_form(client, f"/events/{event.slug}/register/delegation", data,
                     headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Anggota 1" in html[html.index("data-error-summary"):]


def _required_marks(html, index):
    start = html.index(f'name="members-{index}-honorific"')
    row = html[html.rindex("<fieldset", 0, start):html.index("</fieldset>", start)]
    return row.count('aria-required="true"'), row.count('text-danger" aria-hidden="true">*')


def test_empty_member_rows_show_no_required_marks(client, owner):
    event = registration_event(owner, capacity=20)
    html = client.get(f"/events/{event.slug}/register/delegation").get_data(as_text=True)
    assert _required_marks(html, 0) == (0, 0) and _required_marks(html, 4) == (0, 0)
    template = html[html.index('id="member-row-template"'):]
    template = template[:template.index("</template>")]
    assert 'aria-required="true"' not in template
    assert 'aria-required="true"' in html  # the head's own fields keep theirs
    assert "required once you start filling in their row" in html
    empty = {key: "" for index in range(5) for key in member_row(index)}  # as a browser sends
    data = {**form_fields(phone=""), **empty, **member_row(1, email="bad")}
    html = post_form(client, f"/events/{event.slug}/register/delegation",
                     data).get_data(as_text=True)
    assert _required_marks(html, 0) == (0, 0)
    required, marks = _required_marks(html, 1)
    assert required >= 3 and marks >= 3  # form of address, given name, email
