"""One sweep over every staff URL: who may open each /manage/ route, and who may not.

For every rule of the URL map under /manage/ (except the login page itself):
(a) an anonymous visitor is sent to /manage/login, for GET and for every unsafe method
    (sent with a valid CSRF token, so it is the login check that answers);
(b) a logged-in ``staff`` account that is on no event's team gets 403, unless the route is
    in ANY_LOGGED_IN (pages every staff account may open, which must then answer 200);
(c) the rightful user gets 200 on GET: an administrator for admin pages, otherwise the
    organizer who owns the event.

URL arguments come from one event with one object of each kind; an argument this module
does not know fails the test, so a new route cannot slip past the sweep.
"""

import hashlib
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from config import TestingConfig
from seminar_app import create_app
from seminar_app.models import (
    AgendaSession,
    CertificateSettings,
    CoHost,
    DelegationRole,
    DocumentChunk,
    DocumentJob,
    Event,
    EventType,
    ExtraQuestion,
    Honorific,
    Invitee,
    Mailing,
    MailingKind,
    Nomination,
    NominationMember,
    OutboxEmail,
    QuestionKind,
    Registration,
    RegistrationStatus,
    Speaker,
    TeamMember,
    Upload,
    User,
    utcnow,
)
from seminar_app.services.invitations import invitations
from tests.conftest import AuthActions, csrf_token

#: routes under /manage/ that are not checked here
EXEMPT = {"auth.login", "auth.login_code", "auth.password_forgot", "auth.password_reset"}
#: routes any logged-in staff account may open, whatever its role and teams
ANY_LOGGED_IN = {"manage.index", "auth.account", "auth.logout", "outbox.index",
                 "dashboard.overview", "checkin.service_worker", "auth.two_factor",
                 "auth.two_factor_enrol", "auth.two_factor_recovery_codes",
                 "auth.two_factor_disable"}
#: endpoints (or blueprint prefixes ending in ".") that only administrators may open
ADMIN_ONLY = ("admin.",)
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: a 1x1 transparent PNG, as an upload
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def _manage_rules() -> list:
    """(endpoint, rule) of every /manage/ route, read from an app built for collection."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://", TASK_QUEUE_PATH=f"{tmp}/q.db"
        )
        rules = [
            (rule.endpoint, rule.rule)
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/manage/") and rule.endpoint not in EXEMPT
        ]
    return sorted(rules, key=lambda item: (item[1], item[0]))


@dataclass
class World:
    """One event with one object of each kind, and the people who look at it."""

    admin: User
    owner: User
    outsider: User
    team_user: User
    event: Event
    cohost: CoHost
    session: AgendaSession
    speaker: Speaker
    member: TeamMember
    upload: Upload
    email: OutboxEmail
    registration: Registration | None = None
    question: ExtraQuestion | None = None
    invitee: Invitee | None = None
    mailing: Mailing | None = None
    api_token: object = None
    nomination: Nomination | None = None
    document_job: object = None
    survey_question: object = None
    hotel: object = None

    def url_values(self) -> dict:
        """URL argument name -> value. Add new argument names here."""
        return {
            "event_id": self.event.id,
            "slug": self.event.slug,
            "cohost_id": self.cohost.id,
            "session_id": self.session.id,
            "speaker_id": self.speaker.id,
            "member_id": self.member.id,
            "upload_id": self.upload.id,
            "email_id": self.email.id,
            "user_id": self.team_user.id,
            "registration_id": self.registration.id,
            "question_id": self.question.id,
            "invitee_id": self.invitee.id,
            "mailing_id": self.mailing.id,
            "kind": self.mailing.kind.value,
            "file_format": "xlsx",
            "token_id": self.api_token.id,
            "nomination_id": self.nomination.id,
            "nominee_id": self.nomination.members[0].id,
            "job_id": self.document_job.id,
            "survey_question_id": self.survey_question.id,
            "hotel_id": self.hotel.id,
        }


@pytest.fixture
def world(db, make_user) -> World:
    """The event of an organizer, with a co-host, session, speaker, team member, upload, email."""
    admin, owner = make_user("admin"), make_user("organizer")
    outsider, team_user = make_user("staff"), make_user("staff")
    start = utcnow().replace(microsecond=0) + timedelta(days=30)
    event = Event(
        slug="sweep-forum",
        title="Sweep Forum",
        event_type=EventType.FORUM,
        start_at=start,
        end_at=start + timedelta(hours=8),
        owner_id=owner.id,
        letter_signatory_name="Sweep Signatory",
    )
    upload = Upload(
        data=PNG,
        content_type="image/png",
        size=len(PNG),
        filename="logo.png",
        sha256=hashlib.sha256(PNG).hexdigest(),
    )
    db.session.add_all([event, upload])
    db.session.flush()
    session = AgendaSession(
        event_id=event.id, title="Opening", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    cohost = CoHost(event_id=event.id, name="Partner University", logo_id=upload.id)
    member = TeamMember(event_id=event.id, user_id=team_user.id, can_invite=True)
    email = OutboxEmail(
        event_id=event.id,
        template="test_to_delegate",
        recipient="delegate@example.org",
        subject="Hello",
        body_text="Hello",
        message_id="<sweep-1@seminar-app.test>",
    )
    db.session.add_all([session, cohost, member, email])
    db.session.flush()
    speaker = Speaker(session_id=session.id, name="H.E. Speaker")
    db.session.add(speaker)
    db.session.commit()
    registration = Registration(
        event_id=event.id, reference="SWEP-0001", status=RegistrationStatus.CONFIRMED,
        honorific=Honorific.HE, given_name="Sweep", family_name="Delegate",
        email="sweep@example.org", country="ID", organisation="Ministry",
        delegation_role=DelegationRole.HEAD, consent_at=start,
        badge_code="SWEEPBADGECODE23", needs_visa_letter=True, passport_number="B1234567",
        nationality="ID", birth_place="Bandung", birth_date=start.date().replace(year=1970),
        passport_expiry=start.date().replace(year=start.year + 2),
        photo_id=upload.id, photo_thumbnail_id=upload.id,  # a photo to serve
    )
    question = ExtraQuestion(event_id=event.id, label="Arrival flight", kind=QuestionKind.TEXT)
    db.session.add_all([registration, question])
    db.session.commit()
    invitee = invitations.add_invitee(
        event, {"name": "Sweep Invitee", "email": "invitee@example.org", "country": "TH"})
    mailing = Mailing(event_id=event.id, kind=MailingKind.INVITATION, send_key="sweep-mailing",
                      audience={"audience": "all"}, recipient_count=1)
    db.session.add(mailing)
    # certificates for every confirmed delegate: the team may download the sweep's
    db.session.add(CertificateSettings(event_id=event.id, enabled=True, scope="confirmed"))
    nomination = Nomination(event_id=event.id, invitee_id=invitee.id, status="submitted",
                            country="TH", organisation="Embassy", letter_id=upload.id)
    nomination.members.append(NominationMember(
        given_name="Sweep", family_name="Nominee", email="nominee@example.org",
        photo_id=upload.id, photo_thumbnail_id=upload.id))
    db.session.add(nomination)
    db.session.commit()
    from seminar_app.services.accounts.api_tokens import create_token

    return World(
        admin, owner, outsider, team_user, event, cohost, session, speaker, member, upload, email,
        registration, question, invitee, mailing, create_token(owner, name="Sweep")[0],
        nomination, document_job=_document_job(db, event, owner),
        survey_question=_survey_question(event), hotel=_hotel(event),
    )


def _hotel(event):
    """A hotel of the event with its room block (services.travel.settings)."""
    from seminar_app.services.travel import settings

    first = event.start_at.date()
    return settings.add_hotel(event, {"name": "Hotel Borobudur", "address": "", "block_size": 5,
                                      "block_from": first,
                                      "block_to": first + timedelta(days=2)})


def _survey_question(event):
    """A question of the event's feedback survey (services.surveys.surveys)."""
    from seminar_app.services.surveys import surveys

    survey = surveys.get_or_create_survey(event)
    return surveys.add_question(survey, kind="text", texts={"en": {"label": "Comments?"}})


def _document_job(db, event, owner) -> DocumentJob:
    """A finished document job of the event (services.documents.document_jobs), with its file."""
    job = DocumentJob(event_id=event.id, kind="badges", params={"layout": "a4"}, status="done",
                      created_by_id=owner.id, expires_at=utcnow() + timedelta(hours=1),
                      filename="badges.pdf", content_type="application/pdf", size=5)
    db.session.add(job)
    db.session.flush()
    db.session.add(DocumentChunk(job_id=job.id, number=0, data=b"%PDF-"))
    db.session.commit()
    return job


def _live_rule(app, endpoint: str, path: str):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == endpoint and rule.rule == path:
            return rule
    pytest.fail(f"route {endpoint} {path} disappeared between collection and run")


def _url(rule, world: World) -> str:
    known = world.url_values()
    unknown = sorted(set(rule.arguments) - set(known))
    if unknown:
        pytest.fail(
            f"{rule.endpoint} ({rule.rule}) takes URL argument(s) {unknown} that the access "
            "sweep does not know: add them to World.url_values() in tests/test_access_sweep.py "
            "(and the object they name to the world fixture)."
        )
    built = rule.build({name: known[name] for name in rule.arguments}, append_unknown=False)
    assert built is not None, f"could not build a URL for {rule.endpoint} ({rule.rule})"
    return built[1]


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"}, key=lambda m: (m != "GET", m))


def _send(client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    token = csrf_token(client)
    return client.open(
        url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
    )


def _logged_in(app, user: User):
    client = app.test_client()
    response = AuthActions(client).login(user)
    assert response.status_code == 302, f"could not log in {user.email}"
    return client


def _admin_only(endpoint: str) -> bool:
    return any(
        endpoint == item or (item.endswith(".") and endpoint.startswith(item))
        for item in ADMIN_ONLY
    )


MANAGE_RULES = _manage_rules()


@pytest.mark.parametrize(
    ("endpoint", "path"),
    MANAGE_RULES,
    ids=[f"{endpoint} {path}" for endpoint, path in MANAGE_RULES],
)
def test_manage_route_access(app, world, endpoint, path):
    rule = _live_rule(app, endpoint, path)
    url = _url(rule, world)
    methods = _methods(rule)

    anonymous = app.test_client()
    for method in methods:
        response = _send(anonymous, method, url)
        where = urlsplit(response.headers.get("Location", "")).path
        assert (response.status_code, where) == (302, "/manage/login"), (
            f"(a) anonymous {method} {url} ({endpoint}) answered {response.status_code} {where}"
        )

    outsider = _logged_in(app, world.outsider)
    if endpoint in ANY_LOGGED_IN:
        if "GET" in methods:
            status = outsider.get(url).status_code
            assert status == 200, f"(b) staff GET {url} ({endpoint}) answered {status}, not 200"
    else:
        for method in methods:
            status = _send(outsider, method, url).status_code
            assert status == 403, (
                f"(b) staff on no team: {method} {url} ({endpoint}) answered {status}, not 403"
            )

    if "GET" in methods:
        rightful = world.admin if _admin_only(endpoint) else world.owner
        status = _logged_in(app, rightful).get(url).status_code
        assert status == 200, f"(c) {rightful.role.value} GET {url} ({endpoint}) answered {status}"


#: URL arguments naming an object that belongs to one event
CHILD_ARGUMENTS = {"cohost_id", "session_id", "speaker_id", "member_id", "registration_id",
                   "question_id", "invitee_id", "mailing_id", "nomination_id", "job_id",
                   "hotel_id"}
CROSS_EVENT_RULES = [
    (endpoint, path) for endpoint, path in MANAGE_RULES
    if "<int:event_id>" in path and any(f":{name}>" in path for name in CHILD_ARGUMENTS)
]


@pytest.mark.parametrize(
    ("endpoint", "path"),
    CROSS_EVENT_RULES,
    ids=[f"{endpoint} {path}" for endpoint, path in CROSS_EVENT_RULES],
)
def test_objects_of_another_event_are_refused(app, db, world, endpoint, path):
    """(d) An object of event A under event B's address: 404, even for the owner of both."""
    other = Event(slug="other-forum", title="Other Forum", event_type=EventType.FORUM,
                  start_at=world.event.start_at, end_at=world.event.end_at,
                  owner_id=world.owner.id)
    db.session.add(other)
    db.session.commit()
    rule = _live_rule(app, endpoint, path)
    values = {name: world.url_values()[name] for name in rule.arguments}
    values["event_id"] = other.id
    url = rule.build(values, append_unknown=False)[1]
    owner = _logged_in(app, world.owner)
    for method in _methods(rule):
        status = _send(owner, method, url).status_code
        assert status == 404, f"(d) {method} {url} ({endpoint}) answered {status}, not 404"
