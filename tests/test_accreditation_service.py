"""Accreditation of nominated delegations (services.registration.accreditation): members become
registrations of one delegation under the one room-and-status rule (capacity, country quota,
the delegation waiting whole), decisions refused when stale (409, nothing changed), returns
and decisions emailed to the focal point in their language through the real SMTP server.

Nominations are made here directly with the ORM (the focal point's side is another module's).
"""

import hashlib
import io
import re
from itertools import count

import pytest
from PIL import Image
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Delegation,
    InvitationResponse,
    Invitee,
    InviteeKind,
    Nomination,
    NominationMember,
    NominationMemberStatus,
    NominationStatus,
    OutboxEmail,
    Registration,
    RegistrationSource,
    RegistrationStatus,
    Upload,
    utcnow,
)
from seminar_app.services import notifications
from seminar_app.services.errors import Conflict, PermissionDenied, ServiceError
from seminar_app.services.invitations.invitations import invitee_token
from seminar_app.services.registration import accreditation
from seminar_app.services.registration import registrations as registration_service
from seminar_app.services.registration.photos import prepare_photo
from tests.factories import add_invitee, add_registration, add_team_member, registration_event

CONFIRMED, WAITLISTED = RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED
ACCREDITED = NominationMemberStatus.ACCREDITED.value
#: the smallest PDF a viewer opens: one empty page
TINY_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")
_numbers = count(1)
GIVEN_NAMES = ["Somchai", "Niran", "Anong", "Kanya", "Prasert", "Malee"]


def _letters(number: int) -> str:
    """A number written in letters (names refuse digits): 12 -> "Bc"."""
    return "".join(chr(97 + int(digit)) for digit in str(number)).title()


# --- making nominations directly -----------------------------------------------------------

def _upload(data: bytes, content_type: str, filename: str) -> Upload:
    upload = Upload(data=data, content_type=content_type, size=len(data), filename=filename,
                    sha256=hashlib.sha256(data).hexdigest())
    db.session.add(upload)
    return upload


def _photo_rows() -> tuple[Upload, Upload]:
    out = io.BytesIO()
    Image.new("RGB", (350, 450), (200, 180, 160)).save(out, format="JPEG")
    photo, thumbnail = prepare_photo(out.getvalue())
    return (_upload(photo, "image/jpeg", "photo.jpg"),
            _upload(thumbnail, "image/jpeg", "thumbnail.jpg"))


def nominate(event, *, members=3, country="TH", language="en", focal_language="en",
             status=NominationStatus.SUBMITTED, forwarded=False, photos=True, letter=True,
             roles=None, visa=()) -> Nomination:
    """A mission's nomination of ``members`` people with photos and a letter (committed)."""
    number = next(_numbers)
    invitee = add_invitee(event, name=f"Focal Point {_letters(number)}",
                          email=f"focal{number}@example.org",
                          country=country, organisation=f"Embassy {number}",
                          language=focal_language)
    invitee = db.session.get(Invitee, invitee.id)
    invitee.kind = InviteeKind.ORGANISATION.value
    nomination = Nomination(
        event_id=event.id, invitee_id=invitee.id, status=status.value, country=country,
        organisation=f"Embassy {number} in Jakarta", organisation_type="embassy",
        letter_reference=f"No. {number}/2026", forwarded=forwarded,
        submitted_at=utcnow() if status != NominationStatus.DRAFT else None)
    if letter:
        nomination.letter = _upload(TINY_PDF, "application/pdf", "note.pdf")
    roles = roles or ["head"] + ["delegate"] * (members - 1)
    for index in range(members):
        member = NominationMember(
            honorific="mr", given_name=GIVEN_NAMES[index],
            family_name=f"Mission{_letters(number)}",
            email=f"m{number}-{index}@example.org", position="Counsellor", role=roles[index],
            language=language, needs_visa=index in visa)
        if photos:
            member.photo, member.photo_thumbnail = _photo_rows()
        nomination.members.append(member)
    db.session.add(nomination)
    db.session.commit()
    return nomination


def member_ids(nomination, indexes=None) -> list[int]:
    members = nomination.members
    return [members[i].id for i in (indexes if indexes is not None else range(len(members)))]


def fresh(model, object_id):
    db.session.expire_all()
    return db.session.get(model, object_id)


def registrations_of(event) -> list[Registration]:
    db.session.expire_all()
    return db.session.scalars(select(Registration).where(
        Registration.event_id == event.id).order_by(Registration.id)).all()


def audit_count(action=None) -> int:
    query = select(func.count(AuditEntry.id))
    if action:
        query = query.where(AuditEntry.action == action)
    return db.session.scalar(query)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


# --- accrediting -----------------------------------------------------------------------------

def test_accredited_members_become_registrations_of_one_delegation(owner):
    event = registration_event(owner, capacity=20)
    nomination = nominate(event, members=4, visa=(1,))
    first = accreditation.accredit(nomination, member_ids(nomination, [0, 1]), actor=owner)
    assert first.status == CONFIRMED
    nomination = fresh(Nomination, nomination.id)
    assert nomination.status == NominationStatus.SUBMITTED.value  # two still to decide
    delegation = nomination.delegation
    assert delegation.name == "Delegation of Thailand"
    assert delegation.country == "TH" and delegation.organisation == nomination.organisation
    head, visa = nomination.members[0], nomination.members[1]
    assert head.status == visa.status == ACCREDITED
    assert head.decided_by_id == owner.id and head.decided_at is not None
    # the focal point manages the members, not the head's personal link
    assert delegation.head_registration_id is None
    registration = visa.registration
    assert registration.status == CONFIRMED and registration.delegation_id == delegation.id
    assert registration.source == RegistrationSource.INVITATION
    assert registration.country == "TH" and registration.organisation == nomination.organisation
    assert registration.needs_visa_letter and registration.passport_number == ""
    assert registration.birth_date is None
    # the photo rows went to the registration
    assert registration.photo_id is not None and registration.photo_thumbnail_id is not None
    assert visa.photo_id is None
    # the organisation's invitation is answered, pointing at the head
    invitee = nomination.invitee
    assert invitee.response == InvitationResponse.ACCEPTED
    assert invitee.registration_id == head.registration_id
    # the rest join the same delegation; the nomination is then decided
    accreditation.accredit(nomination, member_ids(nomination, [2, 3]), actor=owner)
    nomination = fresh(Nomination, nomination.id)
    assert nomination.status == NominationStatus.DECIDED.value
    assert db.session.scalar(select(func.count(Delegation.id))) == 1
    assert {m.registration.delegation_id for m in nomination.members} == {delegation.id}
    assert audit_count("nomination.member_accredit") == 4
    assert audit_count("nomination.decided") == 1


def test_a_full_event_puts_the_accredited_members_on_the_waiting_list_together(owner):
    event = registration_event(owner, capacity=3)
    single = add_registration(event, country="ID")
    nomination = nominate(event, members=3)
    done = accreditation.accredit(nomination, member_ids(nomination), actor=owner)
    assert done.status == WAITLISTED
    waiting = [r for r in registrations_of(event) if r.delegation_id is not None]
    assert [r.status for r in waiting] == [WAITLISTED] * 3
    assert len({r.waitlisted_at for r in waiting}) == 1  # one entry on the waiting list
    # a place frees up: the delegation (3) does not fit two free places...
    other = add_registration(event, country="ID", email="other@example.org")
    registration_service.cancel_registration(single, actor=owner)
    assert [r.status for r in registrations_of(event) if r.delegation_id] == [WAITLISTED] * 3
    # ...three free places: promoted whole
    registration_service.cancel_registration(fresh(Registration, other.id), actor=owner)
    assert [r.status for r in registrations_of(event) if r.delegation_id] == [CONFIRMED] * 3


def test_the_country_quota_counts_the_accredited_members(owner):
    event = registration_event(owner, capacity=50, country_quota=2)
    nomination = nominate(event, members=3)
    assert accreditation.accredit(nomination, member_ids(nomination, [0, 1]),
                                  actor=owner).status == CONFIRMED
    # the third would exceed Thailand's quota of 2
    assert accreditation.accredit(nomination, member_ids(nomination, [2]),
                                  actor=owner).status == WAITLISTED
    # another country still has room
    other = nominate(event, members=2, country="VN")
    assert accreditation.accredit(other, member_ids(other), actor=owner).status == CONFIRMED


def test_at_a_hybrid_event_accredited_members_attend_in_person(owner):
    event = registration_event(owner, attendance_mode="hybrid",
                               online_url="https://meet.example.org/forum")
    nomination = nominate(event, members=1)
    accreditation.accredit(nomination, member_ids(nomination), actor=owner)
    assert fresh(Nomination, nomination.id).members[0].registration.attendance == "in_person"


def test_while_members_of_the_delegation_wait_new_ones_wait_with_them(owner):
    event = registration_event(owner, capacity=2)
    nomination = nominate(event, members=4)
    assert accreditation.accredit(nomination, member_ids(nomination, [0, 1, 2]),
                                  actor=owner).status == WAITLISTED
    # one member alone would fit, but the delegation waits as one
    assert accreditation.accredit(nomination, member_ids(nomination, [3]),
                                  actor=owner).status == WAITLISTED


def test_accrediting_a_member_twice_is_refused_and_changes_nothing(owner):
    event = registration_event(owner)
    nomination = nominate(event, members=2)
    accreditation.accredit(nomination, member_ids(nomination, [0]), actor=owner)
    before = (len(registrations_of(event)), audit_count(), db.session.scalar(
        select(func.count(OutboxEmail.id))))
    with pytest.raises(Conflict) as refused:
        accreditation.accredit(fresh(Nomination, nomination.id), member_ids(nomination),
                               actor=owner)
    assert refused.value.status_code == 409 and "already been decided" in refused.value.message
    after = (len(registrations_of(event)), audit_count(), db.session.scalar(
        select(func.count(OutboxEmail.id))))
    assert after == before
    assert fresh(NominationMember, nomination.members[1].id).status == "proposed"


def test_bad_choices_and_addresses_already_registered_are_refused(owner):
    event = registration_event(owner)
    nomination = nominate(event, members=2)
    other = nominate(event, members=1)
    for ids in ([], ["x"], [other.members[0].id]):
        with pytest.raises(ServiceError) as refused:
            accreditation.accredit(nomination, ids, actor=owner)
        assert refused.value.status_code == 422
    add_registration(event, email=nomination.members[1].email)
    with pytest.raises(Conflict) as refused:
        accreditation.accredit(nomination, member_ids(nomination), actor=owner)
    assert "is already registered" in refused.value.message
    assert fresh(NominationMember, nomination.members[0].id).status == "proposed"
    assert fresh(Nomination, nomination.id).delegation_id is None
    # a cancelled registration of the address is taken over
    registration = db.session.scalar(select(Registration).where(
        Registration.email == nomination.members[1].email))
    registration_service.cancel_registration(registration, actor=owner)
    accreditation.accredit(fresh(Nomination, nomination.id), member_ids(nomination),
                           actor=owner)
    assert fresh(Registration, registration.id).status == CONFIRMED


def test_only_the_events_organizers_decide(owner, make_user):
    event = registration_event(owner)
    nomination = nominate(event)
    checker = make_user("staff")
    add_team_member(event, checker, can_checkin=True, can_invite=True)
    manager = make_user("staff")
    add_team_member(event, manager, can_manage=True)
    for call in (lambda: accreditation.accredit(nomination, member_ids(nomination),
                                                actor=checker),
                 lambda: accreditation.return_nomination(nomination, "No", actor=checker),
                 lambda: accreditation.read_letter(nomination, actor=checker)):
        with pytest.raises(PermissionDenied):
            call()
    assert accreditation.accredit(nomination, member_ids(nomination, [0]),
                                  actor=manager).status == CONFIRMED


def test_a_forwarded_nomination_needs_its_focal_point_confirmed(owner):
    event = registration_event(owner)
    nomination = nominate(event, forwarded=True)
    with pytest.raises(Conflict) as refused:
        accreditation.accredit(nomination, member_ids(nomination), actor=owner)
    assert "confirm the focal point" in refused.value.message
    accreditation.confirm_focal_point(nomination, actor=owner)
    assert not fresh(Nomination, nomination.id).forwarded
    assert audit_count("nomination.confirm_focal_point") == 1
    with pytest.raises(Conflict):
        accreditation.confirm_focal_point(fresh(Nomination, nomination.id), actor=owner)
    assert accreditation.accredit(fresh(Nomination, nomination.id), member_ids(nomination),
                                  actor=owner).status == CONFIRMED


def test_not_accrediting_needs_a_reason_and_can_complete_the_nomination(owner):
    event = registration_event(owner)
    nomination = nominate(event, members=2)
    member = nomination.members[1]
    with pytest.raises(ServiceError) as refused:
        accreditation.not_accredit(member, "   ", actor=owner)
    assert refused.value.field == "reason" and refused.value.status_code == 422
    accreditation.accredit(nomination, member_ids(nomination, [0]), actor=owner)
    accreditation.not_accredit(fresh(NominationMember, member.id), "Not on the list of the "
                               "ministry.", actor=owner)
    member = fresh(NominationMember, member.id)
    assert member.status == NominationMemberStatus.NOT_ACCREDITED.value
    assert member.decision_reason == "Not on the list of the ministry."
    assert member.registration_id is None
    assert fresh(Nomination, nomination.id).status == NominationStatus.DECIDED.value
    with pytest.raises(Conflict):
        accreditation.not_accredit(member, "again", actor=owner)


def test_returning_needs_a_reason_and_stops_decisions_until_submitted_again(owner):
    event = registration_event(owner)
    nomination = nominate(event)
    with pytest.raises(ServiceError):
        accreditation.return_nomination(nomination, "", actor=owner)
    accreditation.return_nomination(nomination, "Please attach the signed note verbale.",
                                    actor=owner)
    nomination = fresh(Nomination, nomination.id)
    assert nomination.status == NominationStatus.RETURNED.value
    assert nomination.return_reason == "Please attach the signed note verbale."
    assert nomination.returned_by_id == owner.id and nomination.returned_at is not None
    with pytest.raises(Conflict):
        accreditation.accredit(nomination, member_ids(nomination), actor=owner)
    with pytest.raises(Conflict):
        accreditation.return_nomination(nomination, "again", actor=owner)
    assert audit_count("nomination.return") == 1


def test_queue_order_and_counts(owner):
    event = registration_event(owner)
    returned = nominate(event, status=NominationStatus.RETURNED)
    older = nominate(event)
    newer = nominate(event)
    draft = nominate(event, status=NominationStatus.DRAFT)
    older.submitted_at = utcnow().replace(year=2025)
    db.session.commit()
    queue = accreditation.queue(event)
    assert [row.nomination.id for row in queue.rows] == [older.id, newer.id, returned.id]
    assert queue.counts["submitted"] == 2 and queue.counts["returned"] == 1
    assert queue.waiting == accreditation.waiting_count(event) == 2
    assert draft.id not in [row.nomination.id for row in queue.rows]
    assert [row.nomination.id for row in accreditation.queue(event, status="returned").rows] \
        == [returned.id]
    assert queue.rows[0].members == 3 and queue.rows[0].proposed == 3


# --- emails through the real SMTP server -----------------------------------------------------

@pytest.mark.parametrize(("language", "subject", "phrase"), [
    ("en", "Your nomination was returned", "Reason given by the organizers"),
    ("id", "Nominasi Anda dikembalikan", "Alasan dari penyelenggara"),
])
def test_return_emails_the_focal_point_in_their_language(owner, smtp_server, language, subject,
                                                         phrase):
    event = registration_event(owner, title="Jakarta Forum")
    nomination = nominate(event, focal_language=language)
    token = invitee_token(nomination.invitee)
    accreditation.return_nomination(nomination, "Please attach the signed note verbale.",
                                    actor=owner)
    [mail] = smtp_server.wait_for(1)
    message = mail["message"]
    assert mail["to"] == [nomination.invitee.email]
    assert message["Subject"].startswith(subject)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert phrase in text and "Please attach the signed note verbale." in text
    assert f"/i/{token}" in text and f"/i/{token}" in html
    assert f'<html lang="{language}">' in html


def test_accredited_members_and_the_focal_point_are_emailed(owner, smtp_server, client):
    event = registration_event(owner, title="Jakarta Forum")
    nomination = nominate(event, members=3, language="id", focal_language="en")
    accreditation.accredit(nomination, member_ids(nomination, [0, 1]), actor=owner)
    received = {item["to"][0]: item["message"] for item in smtp_server.wait_for(3)}
    members = nomination.members
    for member in members[:2]:
        message = received[member.email]
        text = message.get_body(("plain",)).get_content()
        assert "/r/" in text
        assert '<html lang="id">' in message.get_body(("html",)).get_content()
    focal = received[nomination.invitee.email]
    text = focal.get_body(("plain",)).get_content()
    assert "2 of 3 members of your delegation are accredited" in text
    assert "waiting for a decision" in text and GIVEN_NAMES[2] in text
    assert f"/i/{invitee_token(nomination.invitee)}" in text
    # the link in a member's email opens their own page
    link = next(line for line in received[members[0].email].get_body(("plain",)).get_content()
                .split() if "/r/" in line)
    assert client.get(link[link.index("/r/"):]).status_code == 200


@pytest.mark.parametrize("language", ["en", "id"])
def test_focal_point_emails_follow_the_house_style(owner, language):
    """As tests/test_branding.py checks for every email: no package name, words never cut."""
    event = registration_event(owner, title="South-South Forum",
                               contact_email="forum@example.org")
    event.nomination_deadline = event.start_at
    nomination = nominate(event, focal_language=language)
    nomination.return_reason = "Please attach the note verbale."
    emails = [
        notifications.notify_nomination_returned(nomination, link="https://x.test/i/" + "t" * 43),
        notifications.notify_nomination_decisions(nomination, link="https://x.test/i/" + "t" * 43,
                                                  complete=False),
    ]
    for email in emails:
        html = re.sub(r"<(style|script)\b.*?</\1>", " ", email.body_html, flags=re.S | re.I)
        for part in (email.subject, email.body_text, re.sub(r"<[^>]+>", " ", html)):
            assert not re.search(r"seminar[_-]app", part, re.IGNORECASE)
        assert "break-all" not in email.body_html
        assert "overflow-wrap:break-word" in email.body_html
        assert email.language == language
    assert "Please attach the note verbale." in emails[0].body_text
    db.session.rollback()
