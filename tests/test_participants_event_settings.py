"""The registration settings on the event form: moderation and the quota per country."""

import re

import pytest

from seminar_app.models import Event
from seminar_app.services.errors import ServiceError
from seminar_app.services.events import events as event_service
from tests.conftest import post_form
from tests.test_events_manage import field_errors, form_data
from tests.test_services_events import event_data


def test_event_create_form_stores_approval_and_quota(app, make_user, auth, client):
    auth.login(make_user("organizer"))
    response = post_form(client, "/manage/events/new",
                         form_data(requires_approval="y", country_quota="3"))
    assert response.status_code == 302
    event = Event.query.one()
    assert (event.requires_approval, event.country_quota) == (True, 3)
    page = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert 'name="country_quota"' in page and 'value="3"' in page
    checkbox = re.search(r'<input[^>]*name="requires_approval"[^>]*>', page).group(0)
    assert "checked" in checkbox


@pytest.mark.parametrize("quota", ["0", "-1", "many"])
def test_event_create_form_refuses_a_bad_quota(app, make_user, auth, client, quota):
    auth.login(make_user("organizer"))
    response = post_form(client, "/manage/events/new", form_data(country_quota=quota))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "country_quota")
    assert Event.query.count() == 0


def test_event_edit_form_clears_the_settings(app, db, make_user, auth, client):
    owner = make_user("organizer")
    event = event_service.create_event(owner=owner, data=event_data(requires_approval=True,
                                                                    country_quota=2))
    auth.login(owner)
    response = post_form(client, f"/manage/events/{event.id}/edit", form_data(country_quota=""))
    assert response.status_code == 302
    stored = db.session.get(Event, event.id, populate_existing=True)
    assert (stored.requires_approval, stored.country_quota) == (False, None)


def test_update_event_service_refuses_a_quota_below_one(app, make_user):
    event = event_service.create_event(owner=make_user("organizer"), data=event_data())
    with app.test_request_context(), pytest.raises(ServiceError) as error:
        event_service.update_event(event, data=event_data(country_quota=0))
    assert error.value.field == "country_quota"


def test_clone_event_copies_the_registration_settings(app, make_user):
    owner = make_user("organizer")
    event = event_service.create_event(owner=owner, data=event_data(requires_approval=True,
                                                                    country_quota=4))
    copy = event_service.clone_event(event, owner=owner)
    assert (copy.requires_approval, copy.country_quota) == (True, 4)
