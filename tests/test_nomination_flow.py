"""A mission's focal point nominates its delegation through the invitation link: the page in
both languages, the letter, members, photos, submitting (emails through real SMTP), the
deadline, a forwarded link, another invitee's token, the quota, replacing an accredited
member."""

import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from reportlab.pdfgen import canvas
from sqlalchemy import func, select

from seminar_app.extensions import db
from seminar_app.models import (
    AuditEntry,
    Delegation,
    Nomination,
    NominationMember,
    NominationMemberStatus,
    NominationStatus,
    OutboxEmail,
    Registration,
    RegistrationStatus,
    Upload,
    utcnow,
)
from seminar_app.services.invitations import invitations
from seminar_app.services.registration import nominations
from tests.conftest import post_form
from tests.factories import add_invitee, add_registration, registration_event

MEMBER = {"honorific": "mr", "given_name": "Somchai", "family_name": "Wongsakul",
          "email": "somchai@mfa.go.th", "position": "First Secretary", "role": "delegate",
          "language": "en"}


def pdf_bytes(pages: int = 1, padding: int = 0) -> bytes:
    out = io.BytesIO()
    pdf = canvas.Canvas(out)
    for number in range(pages):
        pdf.drawString(72, 720, f"Note verbale No. 123/2026/JKT, page {number + 1}")
        if padding:  # incompressible noise, so the file really is large
            pdf.setTitle("x")
            pdf.drawString(72, 700, "")
        pdf.showPage()
    pdf.save()
    data = out.getvalue()
    if padding:  # a comment block before the trailer's %%EOF keeps the PDF valid
        head, tail = data.rsplit(b"startxref", 1)
        data = head + b"%" + b"A" * padding + b"\n" + b"startxref" + tail
    return data


def jpeg_bytes(size=(700, 900)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(db, owner):
    return registration_event(owner, title="Growing Together Forum",
                              nomination_deadline=utcnow() + timedelta(days=10))


@pytest.fixture
def mission(event):
    return add_invitee(event, kind="organisation", name="Anong Chaiyaporn",
                       email="focal@thaiembassy.org", country="TH",
                       organisation="Royal Thai Embassy, Jakarta", language="en")


def base(invitee) -> str:
    return f"/i/{invitations.invitee_token(invitee)}"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def start(client, invitee, email=None):
    return post_form(client, f"{base(invitee)}/nominate/start",
                     {"email": email or invitee.email})


def nomination_of(invitee) -> Nomination:
    db.session.expire_all()
    return db.session.scalar(select(Nomination).where(Nomination.invitee_id == invitee.id))


def upload_letter(client, invitee, data: bytes, name="note.pdf"):
    return post_form(client, f"{base(invitee)}/nominate/letter",
                     {"letter": (io.BytesIO(data), name), "reference": "123/2026/JKT"},
                     content_type="multipart/form-data")


def add(client, invitee, **overrides):
    return post_form(client, f"{base(invitee)}/nominate/members", {**MEMBER, **overrides})


# --- the page --------------------------------------------------------------------------------

def test_the_invitation_link_of_an_organisation_leads_to_the_nomination_page(client, mission):
    response = client.get(base(mission))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{base(mission)}/nominate")
    page = client.get(f"{base(mission)}/nominate")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "Nominate your delegation" in html and "Royal Thai Embassy, Jakarta" in html
    assert 'value="focal@thaiembassy.org"' in html  # "Your email", prefilled
    assert nomination_of(mission) is None  # a GET stores nothing


def test_every_id_of_the_nomination_page_is_unique(client, mission):
    """The letter's file field is labelled: its section once had its id, "letter", so the
    label pointed at the section and the field had no accessible name."""
    start(client, mission)
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert 'for="letter"' in html and re.search(r'<input[^>]*id="letter"', html)


def test_a_person_invitation_has_no_nomination_page(client, event):
    person = add_invitee(event)
    assert client.get(base(person)).status_code == 200
    assert client.get(f"{base(person)}/nominate").status_code == 404


def test_the_page_speaks_the_focal_points_language(client, event):
    mission = add_invitee(event, kind="organisasi", country="TH", language="id",
                          email="fokal@example.org")
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "Nominasikan delegasi Anda" in html


# --- the whole flow --------------------------------------------------------------------------

def test_focal_point_nominates_and_submits(client, mission, owner, smtp_server):
    assert start(client, mission).status_code == 303
    nomination = nomination_of(mission)
    assert nomination.status == NominationStatus.DRAFT and not nomination.forwarded
    assert nomination.country == "TH"

    assert upload_letter(client, mission, pdf_bytes(2)).status_code == 303
    nomination = nomination_of(mission)
    assert nomination.letter.content_type == "application/pdf"
    assert nomination.letter.filename == "note.pdf"
    assert nomination.letter_reference == "123/2026/JKT"

    response = add(client, mission)
    assert response.status_code == 303
    member = nomination_of(mission).members[0]
    assert (member.given_name, member.email, member.status) == (
        "Somchai", "somchai@mfa.go.th", NominationMemberStatus.PROPOSED)

    response = post_form(client, f"{base(mission)}/nominate/members/{member.id}/photo",
                         {"photo": (io.BytesIO(jpeg_bytes()), "me.jpg"), "crop_x": "",
                          "crop_y": "", "crop_width": "", "crop_height": ""},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    db.session.expire_all()
    member = db.session.get(NominationMember, member.id)
    assert member.photo.content_type == "image/jpeg" and member.photo_thumbnail is not None
    photo = client.get(f"{base(mission)}/nominate/members/{member.id}/photo")
    assert photo.status_code == 200 and photo.headers["Cache-Control"] == "private, no-store"

    page = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "Somchai" in page and "note.pdf" in page and "Submit nomination" in page

    assert post_form(client, f"{base(mission)}/nominate/submit").status_code == 303
    nomination = nomination_of(mission)
    assert nomination.status == NominationStatus.SUBMITTED and nomination.submitted_at
    actions = set(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("nomination.%"))))
    assert {"nomination.started", "nomination.letter_set", "nomination.member_added",
            "nomination.member_photo_set", "nomination.submitted"} <= actions
    received = {item["to"][0]: item["message"] for item in smtp_server.wait_for(2)}
    assert "Nomination received" in received["focal@thaiembassy.org"]["Subject"]
    assert "Royal Thai Embassy" in received[owner.email]["Subject"]


def test_submit_needs_a_letter_and_a_member(client, mission):
    start(client, mission)
    response = post_form(client, f"{base(mission)}/nominate/submit")
    assert response.status_code == 409
    assert "nomination letter" in response.get_data(as_text=True)
    upload_letter(client, mission, pdf_bytes())
    response = post_form(client, f"{base(mission)}/nominate/submit")
    assert response.status_code == 409 and "at least one member" in response.get_data(
        as_text=True)
    assert nomination_of(mission).status == NominationStatus.DRAFT


def test_members_are_checked_like_registrations(client, mission, event):
    start(client, mission)
    response = add(client, mission, given_name="<script>", email="not-an-email")
    assert response.status_code == 422
    assert count(NominationMember) == 0
    add(client, mission)
    response = add(client, mission, given_name="Another")  # the same email again
    assert response.status_code == 422
    assert "another member of this nomination" in response.get_data(as_text=True)
    add_registration(event, email="taken@example.org")
    response = add(client, mission, email="taken@example.org")
    assert response.status_code == 422
    assert "already has a registration" in response.get_data(as_text=True)
    assert count(NominationMember) == 1


def test_change_and_withdraw_a_member(client, mission):
    start(client, mission)
    add(client, mission)
    member = nomination_of(mission).members[0]
    url = f"{base(mission)}/nominate/members/{member.id}"
    assert client.get(url).status_code == 200
    assert post_form(client, url, {**MEMBER, "position": "Counsellor"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(NominationMember, member.id).position == "Counsellor"
    assert post_form(client, f"{url}/withdraw").status_code == 303
    db.session.expire_all()
    assert db.session.get(NominationMember, member.id).status == "withdrawn"
    # a withdrawn member's address may be given again
    assert add(client, mission).status_code == 303


# --- who may act -----------------------------------------------------------------------------

def test_a_forwarded_link_is_flagged(client, mission):
    response = start(client, mission, email="someone.else@example.org")
    assert response.status_code == 303
    nomination = nomination_of(mission)
    assert nomination.forwarded is True
    page = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "organizers will confirm" in page
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "nomination.started"))
    assert entry.details["used_by"] == "someone.else@example.org"


def test_another_invitees_token_cannot_touch_this_nomination(client, mission, event):
    start(client, mission)
    add(client, mission)
    member = nomination_of(mission).members[0]
    other = add_invitee(event, kind="organisation", country="LA", email="lao@example.org")
    start(client, other)
    for url in (f"{base(other)}/nominate/members/{member.id}",
                f"{base(other)}/nominate/members/{member.id}/photo"):
        assert client.get(url).status_code == 404
    assert post_form(client, f"{base(other)}/nominate/members/{member.id}/withdraw"
                     ).status_code == 404
    assert post_form(client, f"{base(other)}/nominate/members/{member.id}",
                     {**MEMBER, "given_name": "Hijacked"}).status_code == 404
    person = add_invitee(event)
    assert post_form(client, f"{base(person)}/nominate/members",
                     MEMBER).status_code == 404
    db.session.expire_all()
    assert db.session.get(NominationMember, member.id).given_name == "Somchai"
    assert client.get("/i/" + "x" * 43 + "/nominate").status_code == 404


def test_posts_without_csrf_store_nothing(client, mission):
    start(client, mission)
    response = client.post(f"{base(mission)}/nominate/members", data=MEMBER)
    assert response.status_code in (400, 422)
    assert count(NominationMember) == 0


# --- the deadline ----------------------------------------------------------------------------

def test_after_the_deadline_the_page_is_read_only_and_posts_are_refused(client, mission,
                                                                        event):
    start(client, mission)
    add(client, mission)
    member = nomination_of(mission).members[0]
    event.nomination_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "deadline has passed" in html and "Submit nomination" not in html
    before = (count(NominationMember), count(Upload))
    posts = [
        (f"{base(mission)}/nominate/members", MEMBER, None),
        (f"{base(mission)}/nominate/members/{member.id}", {**MEMBER, "position": "X"}, None),
        (f"{base(mission)}/nominate/members/{member.id}/withdraw", {}, None),
        (f"{base(mission)}/nominate/submit", {}, None),
        (f"{base(mission)}/nominate/withdraw", {}, None),
        (f"{base(mission)}/nominate/letter",
         {"letter": (io.BytesIO(pdf_bytes()), "late.pdf")}, "multipart/form-data"),
        (f"{base(mission)}/nominate/members/{member.id}/photo",
         {"photo": (io.BytesIO(jpeg_bytes()), "late.jpg")}, "multipart/form-data"),
    ]
    for url, data, content_type in posts:
        options = {"content_type": content_type} if content_type else {}
        response = post_form(client, url, data, **options)
        assert response.status_code == 409, url
        assert "deadline has passed" in response.get_data(as_text=True)
    assert (count(NominationMember), count(Upload)) == before
    db.session.expire_all()
    assert db.session.get(NominationMember, member.id).status == "proposed"
    assert nomination_of(mission).status == NominationStatus.DRAFT


def test_after_the_deadline_in_indonesian(client, event):
    mission = add_invitee(event, kind="organisation", country="TH", language="id",
                          email="fokal2@example.org")
    event.nomination_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = start(client, mission)
    assert response.status_code == 409
    assert "Batas waktu nominasi telah lewat" in response.get_data(as_text=True)
    assert count(Nomination) == 0


def test_without_a_nomination_deadline_registration_closing_applies(event):
    event.nomination_deadline = None
    event.registration_closes_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert nominations.nomination_refusal(event).kind == "closed"
    event.registration_closes_at = None
    assert nominations.nomination_refusal(event) is None


# --- the quota -------------------------------------------------------------------------------

def test_the_country_quota_refuses_a_submission(client, mission, event):
    event.country_quota = 2
    db.session.commit()
    add_registration(event, country="TH", email="already@example.org")
    start(client, mission)
    upload_letter(client, mission, pdf_bytes())
    add(client, mission)
    add(client, mission, given_name="Second", email="second@example.org")
    response = post_form(client, f"{base(mission)}/nominate/submit")
    assert response.status_code == 409
    assert "quota" in response.get_data(as_text=True)
    assert nomination_of(mission).status == NominationStatus.DRAFT
    post_form(client, f"{base(mission)}/nominate/members/"
                      f"{nomination_of(mission).members[1].id}/withdraw")
    assert post_form(client, f"{base(mission)}/nominate/submit").status_code == 303


# --- after accreditation ---------------------------------------------------------------------

def _accredit(member: NominationMember, event) -> Registration:
    """What the staff side (A2) does: the member becomes a confirmed registration."""
    delegation = Delegation(event_id=event.id, name="Thailand", country="TH",
                            organisation="Royal Thai Embassy")
    db.session.add(delegation)
    db.session.flush()
    registration = add_registration(event, given_name=member.given_name,
                                    family_name=member.family_name, email=member.email,
                                    country="TH", status=RegistrationStatus.CONFIRMED,
                                    delegation_id=delegation.id)
    member.status = NominationMemberStatus.ACCREDITED.value
    member.registration_id = registration.id
    member.nomination.status = NominationStatus.DECIDED.value
    db.session.commit()
    return registration


def test_status_shown_and_adding_after_a_decision_submits_again(client, mission, event):
    start(client, mission)
    upload_letter(client, mission, pdf_bytes())
    add(client, mission)
    post_form(client, f"{base(mission)}/nominate/submit")
    _accredit(nomination_of(mission).members[0], event)
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "Accredited" in html and 'data-registration-status="confirmed"' in html
    assert "Replace" in html
    assert add(client, mission, given_name="Late", email="late@example.org"
               ).status_code == 303
    assert nomination_of(mission).status == NominationStatus.SUBMITTED


def test_the_focal_point_replaces_an_accredited_member(client, mission, event):
    start(client, mission)
    upload_letter(client, mission, pdf_bytes())
    add(client, mission)
    post_form(client, f"{base(mission)}/nominate/submit")
    member = nomination_of(mission).members[0]
    registration = _accredit(member, event)
    url = f"{base(mission)}/nominate/members/{member.id}/replace"
    assert client.get(url).status_code == 200
    response = post_form(client, url, {
        "honorific": "ms", "given_name": "Kanya", "family_name": "Srisuk",
        "email": "kanya@mfa.go.th", "organisation": "Royal Thai Embassy",
        "delegation_role": "delegate", "language": "en", "consent": "y",
        "country": "TH"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.email == "kanya@mfa.go.th"
    assert registration.status == RegistrationStatus.CONFIRMED  # the seat is kept
    assert db.session.get(NominationMember, member.id).given_name == "Kanya"
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "registration.substituted"))
    assert entry.details["source"] == "focal_point"
    assert re.search("focal@thaiembassy.org", entry.details["by"])


def test_outbox_holds_no_invitation_token(client, mission):
    start(client, mission)
    upload_letter(client, mission, pdf_bytes())
    add(client, mission)
    post_form(client, f"{base(mission)}/nominate/submit")
    token = invitations.invitee_token(mission)
    for email in db.session.scalars(select(OutboxEmail)):
        assert token not in (email.body_text or "") and token not in (email.body_html or "")


def test_the_whole_flow_in_indonesian(client, event, owner):
    mission = add_invitee(event, kind="organisation", country="TH", language="id",
                          name="Anong Chaiyaporn", email="fokal@thaiembassy.org",
                          organisation="Kedutaan Besar Kerajaan Thailand")
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "Mulai nominasi" in html and "Email Anda" in html
    start(client, mission)
    response = upload_letter(client, mission, b"<html><body>not a pdf</body></html>")
    assert response.status_code == 422 and "bukan PDF" in response.get_data(as_text=True)
    response = post_form(client, f"{base(mission)}/nominate/submit")
    assert response.status_code == 409
    assert "Silakan unggah surat nominasi" in response.get_data(as_text=True)
    upload_letter(client, mission, pdf_bytes())
    add(client, mission, language="id")
    response = add(client, mission, given_name="Kedua")
    assert "sudah digunakan untuk anggota lain" in response.get_data(as_text=True)
    assert post_form(client, f"{base(mission)}/nominate/submit").status_code == 303
    page = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "Telah dikirim ke panitia" in page and "Diusulkan" in page
    subjects = dict(db.session.execute(select(OutboxEmail.recipient, OutboxEmail.subject)).all())
    assert subjects["fokal@thaiembassy.org"].startswith("Nominasi diterima")
    assert subjects[owner.email].startswith("Nomination to accredit")  # the owner's language


def test_the_mission_may_decline_instead(client, mission):
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert f'href="{base(mission)}/decline"' in html
    assert post_form(client, f"{base(mission)}/decline", {"reason": "No travel budget"}
                     ).status_code == 303
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert 'data-answer="declined"' in html and "invitation was declined" in html
    response = start(client, mission)
    assert response.status_code == 409
    assert count(Nomination) == 0


def test_a_returned_nomination_shows_the_reason_and_is_submitted_again(client, mission):
    start(client, mission)
    upload_letter(client, mission, pdf_bytes())
    add(client, mission)
    post_form(client, f"{base(mission)}/nominate/submit")
    nomination = nomination_of(mission)
    nomination.status = NominationStatus.RETURNED.value
    nomination.return_reason = "The note verbale is not signed."
    db.session.commit()
    html = client.get(f"{base(mission)}/nominate").get_data(as_text=True)
    assert "data-return-reason" in html and "The note verbale is not signed." in html
    upload_letter(client, mission, pdf_bytes(2), name="signed.pdf")
    assert post_form(client, f"{base(mission)}/nominate/submit").status_code == 303
    assert nomination_of(mission).status == NominationStatus.SUBMITTED
    response = post_form(client, f"{base(mission)}/nominate/submit")
    assert response.status_code == 409  # already submitted
