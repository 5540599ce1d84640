"""Users never see the package name: emails, letters and pages name the site (SITE_NAME), the
organisation (ORGANISATION_NAME) or the event's host; email text wraps between words (issue 14).
"""

import io
import re
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import (
    CoHost,
    Honorific,
    MailingKind,
    Nomination,
    NominationMember,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services import notifications
from seminar_app.services.documents.letters import render_visa_letter_pdf
from seminar_app.services.invitations import mailings
from seminar_app.services.invitations import message_templates as wording
from tests.factories import add_invitee, add_registration, logged_in, registration_event

PACKAGE = re.compile(r"seminar[_-]app", re.IGNORECASE)
EMAIL_DIR = Path(__file__).resolve().parent.parent / "templates" / "emails"
#: every email template (not the layouts and partials)
ALL_TEMPLATES = sorted(path.stem for path in EMAIL_DIR.glob("*.txt")
                       if not path.name.startswith("_") and path.stem != "base")
HOST = "Ministry of Foreign Affairs of the Republic of Indonesia"


@pytest.fixture
def owner(make_user):
    return make_user("organizer", name="Dewi Lestari")


@pytest.fixture
def event(owner):
    return registration_event(owner, title="South-South Forum", letter_signatory_name="Siti",
                              contact_email="forum@example.org")


def _visible(html: str) -> str:
    """The text a reader sees (tags, styles and link addresses removed)."""
    html = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return re.sub(r"<[^>]+>", " ", html)


def _queued(event, owner, language: str) -> list:
    """One email of every template, rendered in ``language``: (template, subject, text, html)."""
    owner.language = language
    registration = add_registration(event, language=language, email=f"d-{language}@example.org",
                                    decision_reason="No places left")
    invitee = add_invitee(event, language=language, email=f"i-{language}@example.org")
    emails = [
        notifications.notify_team_member_added(SimpleNamespace(
            event=event, user=owner, can_manage=True, can_invite=True, can_checkin=True)),
        notifications.send_test_email(to=owner.email, user=owner),
        notifications.notify_password_reset(owner, token="t" * 40),
        notifications.notify_delegation_registered(
            SimpleNamespace(event=event, name="Delegation of Laos"), [registration]),
        notifications.notify_invitation_forwarded(invitee, registration),
        *notifications.notify_erasure_requested(registration),
        notifications.notify_registration_waitlisted(registration, position=2),
        notifications.notify_registration_promoted(registration, "p" * 40),
        notifications.notify_registration_approved(registration, "a" * 40),
        notifications.notify_registration_rejected(registration),
        notifications.notify_registration_cancelled(registration, by_staff=True),
        notifications.notify_registration_changed(registration, fields=["position"]),
        notifications.notify_registration_link(registration, "l" * 40, position=None),
        notifications.notify_registration_substituted(registration, "s" * 40),
        *notifications.notify_substitution_requested(
            SimpleNamespace(registration=registration, reason=""), [owner]),
        notifications.notify_substitution_refused(
            SimpleNamespace(registration=registration, reason="Too late")),
        notifications.notify_registration_replaced(
            event, email="old@example.org", name="Old Delegate", language=language,
            reference="R-1", replaced_by="New Delegate"),
    ]
    registration.promotion_expires_at = utcnow() + timedelta(days=3)
    emails += [notifications.notify_registration_promoted_to_confirm(registration, "p" * 40),
               notifications.notify_registration_promotion_reminder(registration, "p" * 40),
               notifications.notify_registration_promotion_expired(registration),
               notifications.notify_join_link_changed(registration)]
    mission = add_invitee(event, kind="organisation", language=language, country="TH",
                          email=f"focal-{language}@example.org")
    nomination = Nomination(event_id=event.id, invitee_id=mission.id, status="submitted",
                            country="TH", organisation="Royal Thai Embassy",
                            return_reason="The third photo is missing")
    nomination.members.append(NominationMember(given_name="Anong", family_name="Srisuk",
                                               email=f"anong-{language}@example.org"))
    db.session.add(nomination)
    db.session.flush()
    emails += [notifications.notify_nomination_submitted(nomination),
               *notifications.notify_nomination_submitted_to_organizers(nomination, [owner]),
               notifications.notify_nomination_returned(nomination, link="https://x.test/i/t"),
               notifications.notify_nomination_decisions(nomination, link="https://x.test/i/t",
                                                         complete=True)]
    for status in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING):
        registration.status = status
        emails.append(notifications.notify_registration_created(registration, "c" * 40))
    result = [(e.template, e.subject, e.body_text, e.body_html) for e in emails]
    for kind in MailingKind:
        person = registration if kind == MailingKind.ANNOUNCEMENT else invitee
        rendered = mailings.MailingRenderer(
            event, kind, wording.template_content(event, kind)).render(person)[0]
        result.append((mailings.TEMPLATES[kind], rendered.subject, rendered.text,
                       rendered.html))
    db.session.rollback()
    return result


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_email_template_hides_the_package_name(app, owner, event, language):
    emails = _queued(event, owner, language)
    assert sorted({template for template, *_rest in emails}) == ALL_TEMPLATES
    for template, subject, text, html in emails:
        for part in (subject, text, _visible(html)):
            assert not PACKAGE.search(part), (template, PACKAGE.search(part))
        assert "break-all" not in html, template  # words are never cut in the middle
        assert "overflow-wrap:break-word" in html, template


def test_emails_name_the_event_host_then_the_organisation_then_the_site(app, owner, event):
    registration = add_registration(event)
    email = notifications.notify_registration_link(registration, "x" * 40)
    assert "Seminar registration" in email.body_html  # no host, no organisation set
    assert "This email was sent by Seminar registration, the events and seminars system" \
        in email.body_text
    app.config["ORGANISATION_NAME"] = "Direktorat Kerja Sama Teknik"
    try:
        email = notifications.notify_registration_link(registration, "y" * 40)
        assert "Direktorat Kerja Sama Teknik" in _visible(email.body_html)
        db.session.add(CoHost(event_id=event.id, name=HOST, role="Host", position=0))
        db.session.flush()
        db.session.refresh(event)
        email = notifications.notify_registration_link(registration, "z" * 40)
        header = re.search(r'font-weight:bold;border-radius[^>]*>([^<]*)</td>', email.body_html)
        assert header and header.group(1) == HOST
        assert f"on behalf of {HOST}." in email.body_text
    finally:
        app.config["ORGANISATION_NAME"] = ""
    db.session.rollback()


def test_staff_email_uses_site_name(app, owner):
    app.config["SITE_NAME"] = "Kemlu Events"
    try:
        email = notifications.send_test_email(to=owner.email, user=owner)
        assert email.subject == "Test message from Kemlu Events"
    finally:
        app.config["SITE_NAME"] = "Seminar registration"


def test_mail_default_sender_has_the_site_name_as_display_name(app):
    from config import Config

    assert Config.MAIL_DEFAULT_SENDER.startswith(f"{Config.SITE_NAME} <")


@pytest.mark.parametrize("language", ["en", "id"])
def test_pages_show_the_site_name_not_the_package(app, client, owner, event, language):
    client.get(f"/language/{language}")
    staff = logged_in(app, owner)
    staff.get(f"/language/{language}")
    pages = [client.get("/"), client.get(f"/events/{event.slug}"), client.get("/manage/login"),
             staff.get("/manage/"), staff.get(f"/manage/events/{event.id}/invitations")]
    expected = "Seminar registration" if language == "en" else "Pendaftaran seminar"
    for page in pages:
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert not PACKAGE.search(_visible(html)), page.request.path
        brand = re.search(r'class="navbar-brand[^"]*"[^>]*>([^<]*)<', html)
        assert brand and brand.group(1) == expected
        assert f"· {expected}</title>" in html


def test_page_footer_names_the_organisation(app, client):
    app.config.update(SITE_NAME="Kemlu Events", ORGANISATION_NAME="Kementerian Luar Negeri")
    try:
        html = client.get("/").get_data(as_text=True)
    finally:
        app.config.update(SITE_NAME="Seminar registration", ORGANISATION_NAME="")
    assert '>Kemlu Events</a>' in html
    assert "Kemlu Events — events and seminars of Kementerian Luar Negeri" in html


def test_render_visa_letter_pdf_names_the_host_not_the_package(app, event):
    registration = add_registration(event, needs_visa_letter=True, honorific=Honorific.MR,
                                    passport_number="X1234567", nationality="LA")
    db.session.add(CoHost(event_id=event.id, name=HOST, role="Host", position=0))
    db.session.commit()
    db.session.refresh(event)
    pdf = render_visa_letter_pdf(registration, language="en")
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert HOST in text.replace("\n", " ")
    assert reader.metadata.creator == "Seminar registration"
    assert not PACKAGE.search(text) and not PACKAGE.search(str(dict(reader.metadata)))


def test_authenticator_calendar_and_api_name_the_installation_not_the_package(app, client,
                                                                               event):
    """Two-factor issuer, the code page, the .ics PRODID and the API document (issue 14)."""
    from seminar_app.services.accounts.two_factor import issuer_name
    from seminar_app.services.documents.calendar import event_calendar

    app.config.update(SITE_NAME="Kemlu Events")
    try:
        with app.test_request_context("/"):
            assert issuer_name() == "Kemlu Events"
            ics = event_calendar(event).decode()
        spec = client.get("/api/v1/openapi.json").get_json()
        docs = client.get("/api/v1/docs").get_data(as_text=True)
    finally:
        app.config.update(SITE_NAME="Seminar registration")
    assert "PRODID:-//Kemlu Events//Events//EN" in ics
    assert spec["info"]["title"] == "Kemlu Events API"
    assert "<title>Kemlu Events API</title>" in docs
    for text in (ics, str(spec["info"]), docs):
        assert "seminar_app" not in text
    template = (Path(app.root_path).parent / "templates/auth/login_code.html").read_text()
    assert "seminar_app" not in template and "%(issuer)s" in template
