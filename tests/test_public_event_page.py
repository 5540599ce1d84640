"""The public event page: who sees it, what it shows, and the registration call to action."""

import io
from datetime import timedelta

import pytest
from PIL import Image

from seminar_app.extensions import db
from seminar_app.models import (
    AgendaSession,
    CoHost,
    EventStatus,
    Speaker,
    TeamMember,
    Visibility,
    utcnow,
)
from seminar_app.services.events.uploads import create_image_upload
from tests.public_factories import create_event, utc


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


def page(client, event):
    return client.get(f"/events/{event.slug}")


def test_show_published_event(client, owner):
    event = create_event(owner, title="Growing Together", theme="South-South Cooperation",
                         description="## Welcome\n\nDelegates from **42 countries**.",
                         contact_name="Protocol Desk", contact_email="protocol@example.org",
                         start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 18, 10))
    response = page(client, event)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Growing Together" in html and "South-South Cooperation" in html
    assert "<strong>42 countries</strong>" in html
    assert "Tuesday, 17 March 2099, 09:00" in html.replace("\u202f", " ")
    assert "WIB" in html and "Asia/Jakarta" in html
    assert "Jl. Taman Pejambon No. 6" in html and "Indonesia" in html
    assert "Bahasa Indonesia" in html and "100 seats" in html
    assert "protocol@example.org" in html
    assert f'href="/events/{event.slug}/calendar.ics"' in html


def test_show_escapes_markdown_html(client, owner):
    event = create_event(
        owner, description='Hi <script>alert(1)</script> <a href="javascript:x">x</a>')
    html = page(client, event).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "javascript:x" not in html


def test_show_unknown_slug_404(client):
    assert client.get("/events/no-such-event").status_code == 404


def test_show_draft_404_for_anonymous_and_outsiders(client, auth, owner, make_user):
    event = create_event(owner, status=EventStatus.DRAFT)
    assert page(client, event).status_code == 404
    assert client.get(f"/events/{event.slug}/calendar.ics").status_code == 404
    outsider = make_user("organizer")
    auth.login(outsider)
    assert page(client, event).status_code == 404


def test_show_draft_preview_for_the_team(client, auth, owner, make_user):
    event = create_event(owner, status=EventStatus.DRAFT)
    staff = make_user("staff")
    db.session.add(TeamMember(event_id=event.id, user_id=staff.id))
    db.session.commit()
    auth.login(staff)
    response = page(client, event)
    assert response.status_code == 200
    assert "Draft — only your team sees this." in response.get_data(as_text=True)
    assert "/register" not in response.get_data(as_text=True)


@pytest.mark.parametrize("visibility", [Visibility.UNLISTED, Visibility.INVITATION_ONLY])
def test_show_unlisted_and_invitation_only_by_link(client, owner, visibility):
    event = create_event(owner, visibility=visibility)
    response = page(client, event)
    assert response.status_code == 200
    assert '<meta name="robots" content="noindex">' in response.get_data(as_text=True)


def test_show_register_cta_while_open(client, owner):
    event = create_event(owner)
    html = page(client, event).get_data(as_text=True)
    assert f'href="/events/{event.slug}/register"' in html


def test_show_no_register_cta_before_opening(client, owner):
    opens = utc(2099, 1, 10, 1)
    event = create_event(owner, registration_opens_at=opens,
                         start_at=utc(2099, 3, 17, 2), end_at=utc(2099, 3, 17, 9))
    html = page(client, event).get_data(as_text=True)
    assert "/register" not in html
    assert "Registration opens on 10 Jan 2099, 08:00" in html.replace("\u202f", " ")


def test_show_no_register_cta_after_closing(client, owner):
    event = create_event(owner, registration_opens_at=utcnow() - timedelta(days=10),
                         registration_closes_at=utcnow() - timedelta(days=1))
    html = page(client, event).get_data(as_text=True)
    assert "/register" not in html
    assert "Registration closed." in html


def test_show_invitation_only_says_so_instead_of_register(client, owner):
    event = create_event(owner, visibility=Visibility.INVITATION_ONLY)
    html = page(client, event).get_data(as_text=True)
    assert "/register" not in html
    assert "Registration is by invitation only." in html


def test_show_cancelled_banner_with_reason(client, owner):
    event = create_event(owner, status=EventStatus.CANCELLED,
                         cancellation_reason="The venue is closed for repairs.")
    html = page(client, event).get_data(as_text=True)
    assert "This event has been cancelled." in html
    assert "The venue is closed for repairs." in html
    assert "/register" not in html


def test_show_cohosts_with_logos(client, owner):
    event = create_event(owner)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "navy").save(buffer, format="PNG")
    logo = create_image_upload(data=buffer.getvalue(), filename="logo.png")
    db.session.add(CoHost(event_id=event.id, name="Universitas Brawijaya", role="Co-host",
                          logo=logo, position=0))
    db.session.commit()
    html = page(client, event).get_data(as_text=True)
    assert "Universitas Brawijaya" in html and "Co-host" in html
    assert f'src="/uploads/{logo.id}"' in html
    assert client.get(f"/uploads/{logo.id}").status_code == 200


def add_session(event, starts_at, ends_at, title, speakers=()):
    session = AgendaSession(event_id=event.id, starts_at=starts_at, ends_at=ends_at, title=title,
                            room="Nusantara Hall")
    session.speakers = [Speaker(name=n, title=t, organisation=o, position=i)
                        for i, (n, t, o) in enumerate(speakers)]
    db.session.add(session)
    db.session.commit()
    return session


def test_show_agenda_grouped_by_local_day(client, owner):
    event = create_event(owner, start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 18, 9))
    add_session(event, utc(2099, 3, 17, 2), utc(2099, 3, 17, 3), "Opening remarks",
                [("Dr. Ratna", "Director of Technical Cooperation", "Ministry of Foreign Affairs")])
    add_session(event, utc(2099, 3, 18, 2), utc(2099, 3, 18, 3), "Closing")
    html = page(client, event).get_data(as_text=True)
    html = html[html.index('id="agenda-heading"'):]
    assert "Tuesday, 17 March 2099" in html and "Wednesday, 18 March 2099" in html
    assert html.index("Opening remarks") < html.index("Wednesday, 18 March 2099") < html.index(
        "Closing")
    assert "Dr. Ratna, Director of Technical Cooperation, Ministry of Foreign Affairs" in html
    assert "9:00" in html and "Nusantara Hall" in html


def test_show_agenda_in_indonesian(client, owner):
    event = create_event(owner, start_at=utc(2099, 3, 17, 1), end_at=utc(2099, 3, 17, 9))
    add_session(event, utc(2099, 3, 17, 2), utc(2099, 3, 17, 3), "Sambutan")
    client.set_cookie("lang", "id")
    html = page(client, event).get_data(as_text=True)
    assert '<html lang="id">' in html
    assert "Selasa, 17 Maret 2099" in html
    assert "09.00" in html


@pytest.mark.parametrize("slug", ["bad%00slug", "x" * 300, "%E2%80%8B"])
def test_show_odd_slugs_404(client, slug):
    assert client.get(f"/events/{slug}").status_code == 404
    assert client.get(f"/events/{slug}/calendar.ics").status_code == 404
