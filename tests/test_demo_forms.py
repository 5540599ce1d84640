"""The demo's events pass the organizer's own edit form unchanged (issue 14)."""

from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from seminar_app.extensions import db
from seminar_app.models import Event


class _FormValues(HTMLParser):
    """The values a browser would submit from the page's form posting to ``action``."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.values = action, False, []
        self._select = self._textarea = None
        self._select_first = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") in (self.action, None, "")
        if not self.inside or "disabled" in attrs:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file"):
                self.values.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select, self._select_first = attrs.get("name"), None
        elif tag == "option" and self._select:
            if self._select_first is None:
                self._select_first = attrs.get("value", "")
            if "selected" in attrs:
                self.values.append((self._select, attrs.get("value", "")))
                self._select = None
        elif tag == "textarea":
            self._textarea = [attrs.get("name"), ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self._select:
            self.values.append((self._select, self._select_first or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None


@pytest.mark.parametrize("lang", ["en", "id"])
def test_demo_events_save_through_the_edit_form_unchanged(app, client, runner, auth, lang):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    auth.login("organizer@demo.seminar.test", app.config["DEMO_PASSWORD"])
    client.set_cookie("lang", lang)
    events = list(db.session.scalars(select(Event).order_by(Event.id)))
    assert len(events) == 3
    for event in events:
        url = f"/manage/events/{event.id}/edit"
        parser = _FormValues(url)
        parser.feed(client.get(url).get_data(as_text=True))
        contact = dict(parser.values).get("contact_email")
        assert contact and contact == event.contact_email
        response = client.post(url, data=MultiDict(parser.values))
        assert response.status_code == 302, (event.slug, response.get_data(as_text=True)[-3000:])
