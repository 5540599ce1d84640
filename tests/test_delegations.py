"""Delegations: registered together, counted together, confirmed or waitlisted together,
promoted whole; the public and staff forms with member rows; the list grouped by protocol."""

import re
from email.utils import parseaddr

import pytest
from sqlalchemy import select

from seminar_app.extensions import db
from seminar_app.models import AuditEntry, Delegation, Registration, RegistrationStatus
from seminar_app.services.errors import Conflict, ServiceError
from seminar_app.services.registration import delegations as service
from seminar_app.services.registration import registrations as registration_service
from seminar_app.services.registration.participant_list import (
    ParticipantFilters,
    registrations_query,
)
from tests.conftest import post_form
from tests.factories import (
    form_fields,
    logged_in,
    make_registration,
    registration_event,
    service_data,
)

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
PENDING, CANCELLED = RegistrationStatus.PENDING, RegistrationStatus.CANCELLED


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def member(number, **overrides):
    data = {"honorific": "mr", "given_name": f"Member{chr(65 + number)}",
            "family_name": "Anggota", "email": f"m{number}-{id(overrides)}@example.org",
            "delegation_role": "delegate", "position": ""}
    data.update(overrides)
    return data


def delegation(event, size=5, *, country="TH", head_email=None, **kwargs):
    """A delegation of ``size`` people (the head and size - 1 members) through the service."""
    head = service_data(country=country, email=head_email or f"head-{next(_heads)}@example.org",
                        delegation_role="head", honorific="he")
    members = [member(i, email=f"{head['email']}-{i}@example.org".replace("@example.org-", "-"))
               for i in range(size - 1)]
    return service.register_delegation(event, head, members, **kwargs)


_heads = iter(range(1, 100_000))


def statuses(found):
    return {registration.status for registration in found.members}


def member_fields(index, **overrides) -> dict:
    fields = {"honorific": "mr", "honorific_other": "", "given_name": f"Anggota{chr(65 + index)}",
              "family_name": "Delegasi", "email": f"row{index}@example.org",
              "delegation_role": "delegate", "position": "Staff", "language": ""}
    fields.update(overrides)
    return {f"members-{index}-{key}": value for key, value in fields.items()}


# --- the service ---------------------------------------------------------------------------

def test_every_member_gets_their_own_registration_and_link(owner):
    event = registration_event(owner, capacity=20)
    found, tokens = delegation(event, 4, country="TH")
    assert len(found.members) == 4 and statuses(found) == {CONFIRMED}
    assert found.name == "Delegation of Thailand"
    assert found.head.delegation_role == "head" and found.country == "TH"
    assert len({r.reference for r in found.members}) == 4
    assert len({r.badge_code for r in found.members}) == 4
    for registration in found.members:
        assert registration_service.get_registration_by_token(tokens[registration.id]).id \
            == registration.id
        assert registration.country == "TH" and registration.organisation == "Embassy"
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "delegation.create")).details["members"] == 4


def test_the_whole_delegation_waits_when_it_does_not_fit(owner):
    event = registration_event(owner, capacity=6)
    make_registration(event)
    make_registration(event)
    found, _tokens = delegation(event, 5)  # 4 places left for 5 people
    assert statuses(found) == {WAITLISTED}
    assert len({r.waitlisted_at for r in found.members}) == 1


def test_the_country_quota_counts_every_member(owner):
    event = registration_event(owner, capacity=50, country_quota=4)
    make_registration(event, country="TH")
    found, _tokens = delegation(event, 4, country="TH")  # 1 + 4 > 4
    assert statuses(found) == {WAITLISTED}
    other, _tokens = delegation(event, 4, country="VN")
    assert statuses(other) == {CONFIRMED}


def test_moderation_keeps_the_delegation_pending_and_approval_is_whole(owner):
    event = registration_event(owner, capacity=10, requires_approval=True)
    found, _tokens = delegation(event, 3)
    assert statuses(found) == {PENDING}
    registration_service.approve_registration(found.members[1], actor=owner)
    db.session.expire_all()
    assert statuses(db.session.get(Delegation, found.id)) == {CONFIRMED}


def test_approval_puts_the_whole_delegation_on_the_waiting_list_when_full(owner):
    event = registration_event(owner, capacity=3, requires_approval=True)
    found, _tokens = delegation(event, 3)
    registration_service.register(event, data=service_data(), source="staff")  # 1 place taken
    counts = registration_service.approve_registrations(
        event, [r.id for r in found.members], actor=owner)
    assert counts == {"confirmed": 0, "waitlisted": 3, "skipped": 0}
    db.session.expire_all()
    assert statuses(db.session.get(Delegation, found.id)) == {WAITLISTED}


def test_staff_entry_skips_moderation_and_records_the_author(owner):
    event = registration_event(owner, capacity=10, requires_approval=True)
    found, _tokens = delegation(event, 3, source=service.STAFF, actor=owner)
    assert statuses(found) == {CONFIRMED} and found.created_by_id == owner.id


def test_a_member_already_registered_refuses_the_whole_submission(owner):
    event = registration_event(owner, capacity=20)
    make_registration(event, email="taken@example.org")
    head = service_data(email="head@example.org")
    with pytest.raises(service.MemberError) as refused:
        service.register_delegation(event, head, [member(0), member(1, email="taken@example.org")])
    assert refused.value.row == 1 and refused.value.field == "email" and refused.value.conflict
    db.session.rollback()
    assert db.session.scalar(select(Registration).where(
        Registration.email == "head@example.org")) is None
    assert db.session.scalars(select(Delegation)).all() == []


def test_duplicate_emails_and_invalid_rows_name_their_row(owner):
    event = registration_event(owner)
    head = service_data(email="head@example.org")
    with pytest.raises(service.MemberError) as twice:
        service.register_delegation(event, head, [member(0, email="head@example.org")])
    assert twice.value.row == 0 and twice.value.field == "email"
    with pytest.raises(service.MemberError) as invalid:
        service.register_delegation(event, head, [member(0), member(1, given_name=" ")])
    assert invalid.value.row == 1 and invalid.value.field == "given_name"
    with pytest.raises(ServiceError):
        service.register_delegation(event, head, [])
    with pytest.raises(ServiceError):
        service.register_delegation(event, head, [member(i, email=f"x{i}@example.org")
                                                  for i in range(service.MAX_MEMBERS + 1)])


def test_a_cancelled_registration_can_join_a_delegation(owner):
    event = registration_event(owner)
    old, _token = make_registration(event, email="again@example.org")
    registration_service.cancel_registration(old)
    found, _tokens = delegation(event, 1 + 1, head_email="again@example.org")
    assert found.head.id == old.id and found.head.status == CONFIRMED


def test_cancelling_one_member_frees_one_place(owner):
    event = registration_event(owner, capacity=5)
    found, _tokens = delegation(event, 5)
    waiting, _token = make_registration(event)
    assert waiting.status == WAITLISTED
    promoted = registration_service.cancel_registration(found.members[2])
    assert [r.id for r in promoted] == [waiting.id]
    db.session.expire_all()
    group = db.session.get(Delegation, found.id).members
    assert sorted(r.status for r in group) == sorted([CONFIRMED] * 4 + [CANCELLED])


def test_a_waiting_delegation_is_promoted_whole_and_smaller_ones_may_pass(owner):
    event = registration_event(owner, capacity=4)
    singles = [make_registration(event)[0] for _ in range(4)]
    waiting, _tokens = delegation(event, 3)  # first in line
    behind, _token = make_registration(event)  # a single behind it
    assert statuses(waiting) == {WAITLISTED} and behind.status == WAITLISTED
    # one place free: the delegation of 3 does not fit, the single behind it passes
    promoted = registration_service.cancel_registration(singles[0])
    assert [r.id for r in promoted] == [behind.id]
    # two more free (2 places): still no room for 3
    assert registration_service.cancel_registration(singles[1]) == []
    assert registration_service.cancel_registration(singles[2]) == []
    db.session.expire_all()
    assert statuses(db.session.get(Delegation, waiting.id)) == {WAITLISTED}
    # three free: the whole delegation is confirmed at once
    promoted = registration_service.cancel_registration(behind)
    assert sorted(r.id for r in promoted) == sorted(r.id for r in waiting.members)
    db.session.expire_all()
    assert statuses(db.session.get(Delegation, waiting.id)) == {CONFIRMED}


def test_the_promoted_delegation_is_emailed(owner, smtp_server):
    event = registration_event(owner, capacity=2)
    single, _token = make_registration(event, email="single@example.org")
    waiting, _tokens = delegation(event, 2)
    smtp_server.wait_for(4)  # the single's, the two members', the head's summary
    registration_service.cancel_registration(single)
    messages = smtp_server.wait_for(4 + 3)[4:]
    subjects = {parseaddr(m["message"]["To"])[1]: m["message"]["Subject"] for m in messages}
    promoted = {r.email for r in waiting.members}
    assert promoted <= set(subjects)
    assert len({subjects[email] for email in promoted}) == 1
    assert subjects["single@example.org"] != subjects[waiting.head.email]


def test_closed_or_cancelled_events_refuse_delegations(owner):
    event = registration_event(owner)
    event.status = "cancelled"
    db.session.commit()
    with pytest.raises(Conflict):
        delegation(event, 2)


# --- the list ------------------------------------------------------------------------------

def test_the_list_groups_a_delegation_head_first_then_by_protocol(owner):
    event = registration_event(owner, capacity=50)
    before, _token = make_registration(event, family_name="Zed")
    head = service_data(email="head@example.org", honorific="mr", family_name="Head",
                        delegation_role="delegate")
    members = [member(0, email="a@example.org", honorific="dr", family_name="Alpha"),
               member(1, email="b@example.org", honorific="he", family_name="Beta",
                      delegation_role="observer"),
               member(2, email="c@example.org", honorific="he", family_name="Gamma",
                      delegation_role="delegate"),
               member(3, email="d@example.org", honorific="amb", family_name="Delta")]
    found, _tokens = service.register_delegation(event, head, members)
    after, _token = make_registration(event, family_name="After")
    query = registrations_query(event, ParticipantFilters.from_args({"sort": "delegation"}))
    names = [r.family_name for r in db.session.scalars(query)]
    assert names == ["Zed", "Head", "Gamma", "Beta", "Delta", "Alpha", "After"]
    assert [r.family_name for r in service.delegation_members(found)] == names[1:6]


# --- the pages -----------------------------------------------------------------------------

def test_public_form_registers_the_delegation_and_emails_each_member(client, owner,
                                                                     smtp_server):
    event = registration_event(owner, capacity=20)
    page = client.get(f"/events/{event.slug}/register/delegation")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("data-member-row") >= 5 + 1
    assert 'id="member-row-template"' in html and "members-__INDEX__-email" in html
    data = {**form_fields(email="head@example.org", country="TH", phone="", language="en"),
            **member_fields(0, language="id"), **member_fields(1), "delegation_name": ""}
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    assert response.status_code == 303 and "/r/" in response.headers["Location"]
    found = db.session.scalars(select(Delegation)).one()
    assert {r.email for r in found.members} == {"head@example.org", "row0@example.org",
                                                "row1@example.org"}
    messages = smtp_server.wait_for(4)
    summary = [m["message"] for m in messages
               if m["message"]["Subject"].startswith("Delegation registered")]
    assert len(summary) == 1 and parseaddr(summary[0]["To"])[1] == "head@example.org"
    text = summary[0].get_body(("plain",)).get_content()
    assert "row0@example.org" in text and "row1@example.org" in text and "Confirmed" in text
    by_recipient = {parseaddr(m["message"]["To"])[1]: m["message"] for m in messages
                    if m["message"] not in summary}
    assert set(by_recipient) == {"head@example.org", "row0@example.org", "row1@example.org"}
    assert re.search(r"pendaftaran|Pendaftaran", by_recipient["row0@example.org"]["Subject"])
    assert not re.search(r"Pendaftaran", by_recipient["row1@example.org"]["Subject"])
    shown = client.get(response.headers["Location"])
    assert "confirmed" in shown.get_data(as_text=True)


def test_public_form_shows_the_error_on_the_member_row(client, owner):
    event = registration_event(owner, capacity=20)
    make_registration(event, email="taken@example.org")
    data = {**form_fields(email="head@example.org", phone=""), **member_fields(0),
            **member_fields(1, email="taken@example.org")}
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert re.search(r'id="members-1-email-error"[^>]*>\s*<div>This email address is already '
                     r'registered', html)
    assert db.session.scalar(select(Registration).where(
        Registration.email == "head@example.org")) is None


def test_public_form_validates_each_started_row_and_ignores_empty_ones(client, owner):
    event = registration_event(owner)
    data = {**form_fields(phone=""), **member_fields(0, email="not-an-email"),
            **member_fields(1, given_name="", family_name="", email="", position="")}
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="members-0-email-error"' in html and 'id="members-1-email-error"' not in html
    only_head = post_form(client, f"/events/{event.slug}/register/delegation",
                          form_fields(phone=""))
    assert only_head.status_code == 422
    assert "Add at least one member" in only_head.get_data(as_text=True)


def test_public_form_in_indonesian(client, owner):
    event = registration_event(owner)
    client.set_cookie("lang", "id")
    page = client.get(f"/events/{event.slug}/register/delegation",
                      headers={"Accept-Language": "id"})
    html = page.get_data(as_text=True)
    assert "Daftarkan delegasi" in html or "delegasi" in html.lower()
    response = post_form(client, f"/events/{event.slug}/register/delegation",
                         {**form_fields(phone=""), **member_fields(0, email="x")},
                         headers={"Accept-Language": "id"})
    assert response.status_code == 422
    assert "Masukkan alamat email yang valid" in response.get_data(as_text=True)


def test_more_rows_without_javascript(client, owner):
    event = registration_event(owner)
    html = client.get(f"/events/{event.slug}/register/delegation?rows=12").get_data(as_text=True)
    assert 'name="members-11-email"' in html and 'name="members-12-email"' not in html
    html = client.get(f"/events/{event.slug}/register/delegation?rows=x").get_data(as_text=True)
    assert 'name="members-4-email"' in html and 'name="members-5-email"' not in html
    assert "rows=10" in html


def test_rows_added_by_javascript_are_accepted(client, owner):
    event = registration_event(owner, capacity=30)
    data = {**form_fields(phone="")}
    for index in (0, 7, 15):  # gaps, as after cloning and leaving rows empty
        data.update(member_fields(index, email=f"js{index}@example.org"))
    response = post_form(client, f"/events/{event.slug}/register/delegation", data)
    assert response.status_code == 303
    assert len(db.session.scalars(select(Delegation)).one().members) == 4


def test_the_event_page_links_to_the_delegation_form(client, owner):
    event = registration_event(owner)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert f"/events/{event.slug}/register/delegation" in html


def test_staff_register_a_delegation_and_see_it_on_the_detail_page(app, owner, make_user):
    event = registration_event(owner, capacity=20)
    staff = logged_in(app, owner)
    url = f"/manage/events/{event.id}/registrations/delegation/new"
    assert staff.get(url).status_code == 200
    data = {**form_fields(email="head@example.org", phone=""), **member_fields(0),
            **member_fields(1)}
    response = post_form(staff, url, data)
    assert response.status_code == 303
    found = db.session.scalars(select(Delegation)).one()
    assert found.created_by_id == owner.id and statuses(found) == {CONFIRMED}
    detail = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert found.name in detail
    for registration in found.members:
        assert f"/registrations/{registration.id}" in detail
    stranger = logged_in(app, make_user("organizer"))
    assert stranger.get(url).status_code == 403


def test_default_list_and_exports_keep_each_delegation_together(app, owner):
    event = registration_event(owner, capacity=50)
    make_registration(event, email="before@example.org", given_name="Before")
    found, _tokens = delegation(event, size=3, country="TH", name="Delegation of Thailand")
    make_registration(event, email="after@example.org", given_name="After")
    rows = list(db.session.scalars(registrations_query(event, ParticipantFilters())))
    members = [r.id for r in rows if r.delegation_id == found.id]
    positions = [rows.index(r) for r in rows if r.delegation_id == found.id]
    assert positions == list(range(positions[0], positions[0] + 3))  # side by side
    assert members[0] == found.head_registration_id  # head first
    client = logged_in(app, owner)
    text = client.get(f"/manage/events/{event.id}/export.csv?lang=en").get_data(as_text=True)
    lines = text.lstrip("\ufeff").splitlines()
    assert '"Delegation"' in lines[0].split(",")  # every cell is quoted
    thai = [n for n, line in enumerate(lines) if "Delegation of Thailand" in line]
    assert len(thai) == 3 and thai == list(range(thai[0], thai[0] + 3))


def test_the_head_gets_a_summary_in_their_language(owner, smtp_server):
    event = registration_event(owner, capacity=20)
    head = service_data(email="kepala@example.org", language="id", delegation_role="head",
                        honorific="he", country="ID")
    service.register_delegation(event, head, [member(0, email="anggota@example.org")],
                                name="Delegasi Indonesia")
    messages = smtp_server.wait_for(3)
    [summary] = [m["message"] for m in messages
                 if m["message"]["Subject"].startswith("Delegasi terdaftar")]
    text = summary.get_body(("plain",)).get_content()
    assert "Delegasi Indonesia" in text and "anggota@example.org" in text
    assert "Dikonfirmasi" in text or "Terkonfirmasi" in text
