"""The post-event report (PDF and XLSX) and the organisation type of registrations."""

import io
import zipfile
from datetime import UTC, date, datetime
from itertools import count

import openpyxl
import pytest
from flask_babel import force_locale
from pypdf import PdfReader

from seminar_app.extensions import db
from seminar_app.models import (
    CoHost,
    DelegationRole,
    Honorific,
    InvitationResponse,
    Mailing,
    MailingKind,
    OrganisationType,
    OutboxEmail,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    utcnow,
)
from seminar_app.services.documents.reports import (
    build_report,
    render_report_pdf,
    render_report_xlsx,
)
from seminar_app.services.errors import ServiceError
from seminar_app.services.registration import registrations as registration_service
from tests.conftest import post_form
from tests.factories import (
    add_invitee,
    add_registration,
    add_team_member,
    form_fields,
    logged_in,
    make_registration,
    service_data,
)
from tests.public_factories import create_event
from tests.test_participants_list import count_queries

_numbers = count(1)
FORMULA = '=HYPERLINK("http://evil.example","click")'


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    event = create_event(owner, title="Forum on South-South Cooperation",
                         start_at=utc(2027, 3, 10, 2), end_at=utc(2027, 3, 11, 10),
                         venue_name="Gedung Pancasila", venue_city="Jakarta",
                         venue_country="ID")
    db.session.add(CoHost(event_id=event.id, name="Kementerian Luar Negeri", role="Host"))
    db.session.commit()
    return event


def _sent(invitee):
    """An invitation email SENT to ``invitee``."""
    number = next(_numbers)
    mailing = Mailing(event_id=invitee.event_id, kind=MailingKind.INVITATION,
                      send_key=f"report-{number}")
    db.session.add(mailing)
    db.session.flush()
    db.session.add(OutboxEmail(event_id=invitee.event_id, mailing_id=mailing.id,
                               invitee_id=invitee.id, template="invitation",
                               recipient=invitee.email, subject="Invitation", body_text="Hi",
                               message_id=f"<report{number}@example.org>",
                               status=OutboxStatus.SENT, sent_at=utcnow()))
    db.session.commit()


def _seed(event):
    """Thailand: a head, an H.E., an Amb., a Dr. and a Ms.; Germany: one; and noise."""
    people = {
        "ms": add_registration(event, country="TH", honorific=Honorific.MS, given_name="Anong",
                               family_name="Aaron"),
        "dr": add_registration(event, country="TH", honorific=Honorific.DR, given_name="Chai",
                               family_name="Boon", checked_in_at=utc(2027, 3, 10, 3)),
        "amb": add_registration(event, country="TH", honorific=Honorific.AMB,
                                given_name="Somchai", family_name="Zed"),
        "he": add_registration(event, country="TH", honorific=Honorific.HE,
                               given_name="Prayut", family_name="Young",
                               checked_in_at=utc(2027, 3, 10, 3)),
        "head": add_registration(event, country="TH", honorific=Honorific.MR,
                                 given_name="สมชาย", family_name="ใจดี",
                                 delegation_role=DelegationRole.HEAD,
                                 checked_in_at=utc(2027, 3, 10, 3)),
        "de": add_registration(event, country="DE", given_name="Jürgen", family_name="Müller",
                               delegation_role=DelegationRole.OBSERVER),
    }
    add_registration(event, country="FR", given_name="Waiting", family_name="Person",
                     status=RegistrationStatus.WAITLISTED)
    add_registration(event, country="TH", given_name="Gone", family_name="Away",
                     status=RegistrationStatus.CANCELLED, checked_in_at=utc(2027, 3, 10, 3))
    asean = [add_invitee(event, group_name="ASEAN") for _ in range(3)]
    europe = [add_invitee(event, group_name="Europe", country="DE") for _ in range(2)]
    add_invitee(event, group_name="")
    for invitee in asean + europe[:1]:
        _sent(invitee)
    asean[0].response = InvitationResponse.ACCEPTED
    asean[1].response = InvitationResponse.DECLINED
    europe[0].response = InvitationResponse.ACCEPTED
    db.session.commit()
    return people


# --- content ---------------------------------------------------------------------------------

def test_report_numbers_and_protocol_order(app, event):
    people = _seed(event)
    with app.test_request_context(), force_locale("en"):
        report = build_report(event, language="en", today=date(2027, 3, 12))
    assert (report.registered, report.confirmed, report.checked_in, report.countries) == (
        7, 6, 3, 2)
    assert [(a.label, a.confirmed, a.checked_in) for a in report.by_country] == [
        ("Thailand", 5, 3), ("Germany", 1, 0)]
    assert [(a.key, a.confirmed, a.checked_in) for a in report.by_role] == [
        ("head", 1, 1), ("delegate", 4, 2), ("observer", 1, 0)]
    assert [d.name for d in report.delegations] == ["Germany", "Thailand"]
    thailand = report.delegations[1]
    assert [m.name for m in thailand.members] == [
        people[key].full_name for key in ("head", "he", "amb", "dr", "ms")]
    assert [m.name for m in thailand.heads] == ["สมชาย ใจดี"]
    assert report.dates == "10 March 2027 – 11 March 2027"
    assert report.venue == "Gedung Pancasila, Jakarta, Indonesia"
    assert report.cohosts == ["Kementerian Luar Negeri (Host)"]
    lines = [(line.label, line.invited, line.sent, line.accepted, line.declined,
              line.no_answer) for line in report.invitations]
    assert lines == [("All invitees", 6, 4, 2, 1, 3), ("ASEAN", 3, 3, 1, 1, 1),
                     ("Europe", 2, 1, 1, 0, 1), ("No group", 1, 0, 0, 0, 1)]
    assert report.invitations[1].response_rate == pytest.approx(2 / 3)


def test_report_pdf_parses_and_contains_names_titles_and_page_numbers(app, event):
    _seed(event)
    for number in range(60):  # enough rows for a second page
        add_registration(event, country="MY", given_name=f"Delegate{number}",
                         family_name="Malaysia")
    with app.test_request_context():
        pdf = render_report_pdf(event, language="en", compress=False)
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert "Forum on South-South Cooperation" in text
        assert f"Page {number} of {len(pages)}" in text
    text = "\n".join(pages)
    for expected in ("Post-event report", "Attendance by country", "Attendance by role",
                     "Delegations", "Invitation responses", "Thailand", "Prayut Young",
                     "Jürgen Müller", "สมชาย", "Kementerian Luar Negeri", "ASEAN",
                     "Gedung Pancasila"):
        assert expected in text, expected
    assert "Waiting Person" not in text and "Gone Away" not in text


def test_a_long_delegation_is_laid_out_a_page_at_a_time_and_complete(app, event, monkeypatch):
    """A delegation of 150 (four pages): only a page's rows are made into a table at a time,
    every delegate is printed once, in protocol order, under the column headers on each page."""
    from seminar_app.services.documents import reports

    for number in range(150):
        add_registration(event, country="MY", given_name=f"Member{number:03}",
                         family_name="Malaysia", position=f"Counsellor {number}",
                         delegation_role=DelegationRole.HEAD if number == 149
                         else DelegationRole.DELEGATE)
    made = []
    original = reports._table

    def table(headers, rows, *args, **kwargs):
        made.append(len(rows))
        return original(headers, rows, *args, **kwargs)

    monkeypatch.setattr(reports, "_table", table)
    with app.test_request_context():
        pdf = render_report_pdf(event, language="en", compress=False)
    assert max(made) < 100 and sum(made) >= 150
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    delegation = [text for text in pages if "Member" in text]
    assert len(delegation) >= 3
    for text in delegation:
        assert "Name Position Organisation Role" in text.replace("\n", " ")
    text = "\n".join(delegation)
    order = [149, *range(149)]  # the head of delegation first
    places = [text.index(f"Member{number:03} Malaysia") for number in order]
    assert places == sorted(places)
    assert all(text.count(f"Member{number:03} ") == 1 for number in order)
    assert all(f"Counsellor {number}" in text for number in order)


def test_report_pdf_in_indonesian(app, event):
    _seed(event)
    with app.test_request_context():
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(
            render_report_pdf(event, language="id", compress=False))).pages)
    assert "Jerman" in text and "Germany" not in text
    assert "10 Maret 2027" in text


def test_report_pdf_escapes_markup_in_names(app, event):
    add_registration(event, given_name="<b>Bold</b>", family_name="<font size=40>X</font>",
                     organisation="A & B <i>")
    with app.test_request_context():
        text = PdfReader(io.BytesIO(render_report_pdf(event, language="en", compress=False))
                         ).pages[0].extract_text()
    assert "<b>Bold</b>" in text and "A & B <i>" in text


def test_report_xlsx_has_one_sheet_per_part_and_no_formula(app, event):
    _seed(event)
    add_registration(event, country="MY", given_name="Mal", family_name="Aysia",
                     position=FORMULA, organisation="@SUM(A1)")
    with app.test_request_context():
        data = render_report_xlsx(event, language="en")
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Event", "By country", "By role", "Delegations", "Invitations"]
    rows = {name: [[c.value for c in row] for row in book[name].iter_rows()]
            for name in book.sheetnames}
    assert ["Dates", "10 March 2027 – 11 March 2027"] in rows["Event"]
    assert rows["By country"][0] == ["Country", "Confirmed", "Checked in", "Attendance rate"]
    assert rows["By country"][1] == ["Thailand", 5, 3, 0.6]
    assert rows["Invitations"][1] == ["All invitees", 6, 4, 2, 1, 3, 0.5]
    delegation_names = [row[1] for row in rows["Delegations"][1:]]
    assert "Mr. สมชาย ใจดี" in delegation_names
    assert len(delegation_names) == 7
    hostile = next(row for row in book["Delegations"].iter_rows() if row[0].value == "Malaysia")
    assert hostile[2].data_type == "s" and hostile[2].value == FORMULA
    assert hostile[3].data_type == "s" and hostile[3].value == "@SUM(A1)"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(name) for name in archive.namelist()
                  if name.startswith("xl/worksheets/")]
    assert sheets and not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)


def test_report_xlsx_in_indonesian(app, event):
    _seed(event)
    with app.test_request_context():
        book = openpyxl.load_workbook(io.BytesIO(render_report_xlsx(event, language="id")))
    countries = [row[0].value for row in book.worksheets[1].iter_rows(min_row=2)]
    assert countries == ["Thailand", "Jerman"]


def test_report_of_an_empty_event(app, event):
    with app.test_request_context():
        pdf = render_report_pdf(event, language="en", compress=False)
        book = openpyxl.load_workbook(io.BytesIO(render_report_xlsx(event, language="en")))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "No confirmed delegates." in text
    assert "No invitations were sent for this event." in text
    assert book["Delegations"].max_row == 1


# --- downloads -------------------------------------------------------------------------------

def test_report_downloads(app, event, owner):
    _seed(event)
    client = logged_in(app, owner)
    pdf = client.get(f"/manage/events/{event.id}/dashboard/report.pdf?lang=id")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert f"{event.slug}-report-" in pdf.headers["Content-Disposition"]
    assert "Jerman" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    xlsx = client.get(f"/manage/events/{event.id}/dashboard/report.xlsx?lang=en")
    assert xlsx.status_code == 200
    assert xlsx.mimetype.endswith("spreadsheetml.sheet")
    assert openpyxl.load_workbook(io.BytesIO(xlsx.data)).sheetnames[0] == "Event"
    # an unknown language falls back to the page's
    bogus = client.get(f"/manage/events/{event.id}/dashboard/report.xlsx?lang=xx")
    assert openpyxl.load_workbook(io.BytesIO(bogus.data))["By country"]["A3"].value == "Germany"


def test_report_access(app, client, event, make_user):
    urls = [f"/manage/events/{event.id}/dashboard/report.pdf",
            f"/manage/events/{event.id}/dashboard/report.xlsx"]
    stranger = make_user("staff")
    add_team_member(create_event(stranger), stranger, can_manage=True)
    stranger_client = logged_in(app, stranger)
    for url in urls:
        assert client.get(url).status_code == 302
        assert stranger_client.get(url).status_code == 403


def test_report_query_count_does_not_grow_with_registrations(app, owner):
    small, large = create_event(owner), create_event(owner)
    for current, number in ((small, 2), (large, 30)):
        for index in range(number):
            add_registration(current, country=["ID", "TH", "DE"][index % 3])
            add_invitee(current, group_name=["A", "B"][index % 2])
    client = logged_in(app, owner)
    counts = []
    for current in (small, large):
        db.session.expire_all()
        with count_queries(db) as statements:
            assert client.get(f"/manage/events/{current.id}/dashboard/report.xlsx"
                              ).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts


# --- organisation type -----------------------------------------------------------------------

def test_registration_form_offers_and_stores_the_organisation_type(app, client, event):
    page = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert 'name="organisation_type"' in page and "Type of organisation" in page
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="embassy@example.org", organisation_type="embassy"))
    assert response.status_code in (302, 303)
    stored = db.session.scalar(db.select(Registration).filter_by(email="embassy@example.org"))
    assert stored.organisation_type == OrganisationType.EMBASSY


def test_organisation_type_is_optional_and_checked(app, client, event):
    response = post_form(client, f"/events/{event.slug}/register",
                         form_fields(email="plain@example.org"))
    assert response.status_code in (302, 303)
    stored = db.session.scalar(db.select(Registration).filter_by(email="plain@example.org"))
    assert stored.organisation_type == "other"
    refused = post_form(client, f"/events/{event.slug}/register",
                        form_fields(email="bad@example.org", organisation_type="pirates"))
    assert refused.status_code == 422
    assert "Choose a type of organisation from the list." in refused.get_data(as_text=True)


def test_the_service_refuses_an_unknown_organisation_type(event):
    with pytest.raises(ServiceError) as refused:
        registration_service.register(event, data=service_data(organisation_type="pirates"))
    assert refused.value.field == "organisation_type"
    registration, _token = make_registration(event, organisation_type="academia")
    assert registration.organisation_type == "academia"


def test_participant_export_has_the_organisation_type(app, event, owner):
    add_registration(event, organisation_type=OrganisationType.CIVIL_SOCIETY)
    client = logged_in(app, owner)
    text = client.get(f"/manage/events/{event.id}/export.csv?lang=id").get_data(as_text=True)
    header, row = text.lstrip("\ufeff").splitlines()[:2]
    assert "Jenis instansi" in header  # the Indonesian export
    english = client.get(f"/manage/events/{event.id}/export.csv?lang=en").get_data(as_text=True)
    assert "Civil society" in english.splitlines()[1]
