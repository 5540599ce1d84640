"""Staff on a phone and on a desktop (issue 14): an event's tabs grouped under "More", a direct
"Check-in desk" entry in "My events", the participants' status kept in view on a phone, and
white text over the event banner's gradient at WCAG AA contrast.

What a browser shows (widths, overflow, the dropdown with the keyboard, axe) is tested in
tests/e2e/test_staff_navigation.py (a unit test file of the same name would clash with it
in pytest's default import mode); here the pages' markup and the style sheet.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from seminar_app.models import RegistrationStatus
from tests.factories import add_registration, add_team_member, logged_in
from tests.public_factories import create_event

ROOT = Path(__file__).resolve().parents[1]
APP_CSS = ROOT / "static" / "css" / "app.css"
EVENT_SHOW = ROOT / "templates" / "events" / "event_show.html"
#: the tabs always in view, in order; Invitations is in view from md up, in "More" below
IN_VIEW = ["Overview", "Participants", "Invitations", "Check-in"]
IN_MORE = ["Edit", "Agenda", "Co-hosts", "Team", "Questions", "Feedback survey", "Dashboard",
           "Documents", "Travel & hotels", "Certificates", "Automatic emails"]


class _Elements(HTMLParser):
    """Every element as (tag, attributes, classes of its ancestors, its text)."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack: list[dict] = []
        self.found: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        element = {"tag": tag, "attrs": attrs, "classes": set((attrs.get("class") or "").split()),
                   "ancestors": [dict(e["attrs"], tag=e["tag"]) for e in self.stack],
                   "text": ""}
        self.found.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"] += data


def _elements(html: str) -> list[dict]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def _text(element) -> str:
    return " ".join(element["text"].split())


def _inside(element, attribute: str, value: str | None = None) -> bool:
    """True when an ancestor has ``attribute`` (containing ``value`` for class)."""
    for ancestor in element["ancestors"]:
        if attribute in ancestor and (value is None or value in ancestor[attribute].split()):
            return True
    return False


def _tabs(html: str) -> dict:
    """The event tabs: links in view (label -> element), links in "More", the toggle."""
    elements = [e for e in _elements(html) if _inside(e, "data-event-tabs")]
    links = [e for e in elements if e["tag"] == "a"]
    in_menu = [e for e in links if _inside(e, "class", "dropdown-menu")]
    in_view = [e for e in links if e not in in_menu]
    toggles = [e for e in elements if "dropdown-toggle" in e["classes"]]
    return {"in_view": in_view, "in_menu": in_menu, "toggle": toggles[0] if toggles else None}


def _hidden_below_md(element) -> bool:
    """True when the element (or its list item) is hidden below md and shown from md up."""
    chain = [element["attrs"], *reversed(element["ancestors"][-1:])]
    return any({"d-none", "d-md-block"} <= set((a.get("class") or "").split()) for a in chain)


def _shown_below_md_only(element) -> bool:
    chain = [element["attrs"], *reversed(element["ancestors"][-1:])]
    return any("d-md-none" in (a.get("class") or "").split() for a in chain)


@pytest.fixture
def owner(make_user):
    return make_user("organizer")


@pytest.fixture
def event(owner):
    return create_event(owner, title="Forum on South-South Cooperation")


# --- the event's tabs ------------------------------------------------------------------------

def test_most_used_tabs_stay_in_view_and_the_rest_are_under_more(app, owner, event):
    html = logged_in(app, owner).get(f"/manage/events/{event.id}").get_data(as_text=True)
    tabs = _tabs(html)
    assert [_text(a) for a in tabs["in_view"]] == IN_VIEW
    assert tabs["toggle"] is not None and _text(tabs["toggle"]) == "More"
    toggle = tabs["toggle"]
    assert toggle["tag"] == "button" and toggle["attrs"]["data-bs-toggle"] == "dropdown"
    assert toggle["attrs"]["aria-expanded"] == "false"
    menu_labels = [_text(a) for a in tabs["in_menu"]]
    assert menu_labels == ["Invitations", *IN_MORE]
    # on a phone Invitations lives in "More"; from md up it is a tab (never both at once)
    invitations_tab = tabs["in_view"][IN_VIEW.index("Invitations")]
    assert _hidden_below_md(invitations_tab)
    assert _shown_below_md_only(tabs["in_menu"][0])
    for label in ("Overview", "Participants", "Check-in"):
        tab = tabs["in_view"][IN_VIEW.index(label)]
        assert not _hidden_below_md(tab), label
    # the current tab (Overview) is marked; "More" is not
    overview = tabs["in_view"][0]
    assert "active" in overview["classes"] and overview["attrs"]["aria-current"] == "page"
    assert "active" not in toggle["classes"] and "active-below-md" not in toggle["classes"]
    assert [a for a in tabs["in_view"] + tabs["in_menu"] if "aria-current" in a["attrs"]] \
        == [overview]


@pytest.mark.parametrize(("path", "label"), [("agenda", "Agenda"), ("team", "Team"),
                                             ("documents", "Documents"),
                                             ("dashboard", "Dashboard")])
def test_a_tab_inside_more_is_marked_current_and_more_shows_it(app, owner, event, path, label):
    html = logged_in(app, owner).get(
        f"/manage/events/{event.id}/{path}").get_data(as_text=True)
    tabs = _tabs(html)
    current = [a for a in tabs["in_view"] + tabs["in_menu"] if "aria-current" in a["attrs"]]
    assert [_text(a) for a in current] == [label]
    assert current[0] in tabs["in_menu"] and "active" in current[0]["classes"]
    toggle = tabs["toggle"]
    assert "active" in toggle["classes"]
    # screen readers hear which page is current from the toggle too
    assert f"More: {label} (current page)" in _text(toggle)


def test_invitations_are_current_in_more_on_a_phone_only(app, owner, event):
    html = logged_in(app, owner).get(
        f"/manage/events/{event.id}/invitations").get_data(as_text=True)
    tabs = _tabs(html)
    current = [a for a in tabs["in_view"] + tabs["in_menu"] if "aria-current" in a["attrs"]]
    # one link in view from md up, one in "More" below md: only one is ever displayed
    assert [_text(a) for a in current] == ["Invitations", "Invitations"]
    assert _hidden_below_md(current[0]) and _shown_below_md_only(current[1])
    toggle = tabs["toggle"]
    assert "active" not in toggle["classes"] and "active-below-md" in toggle["classes"]
    css = APP_CSS.read_text(encoding="utf-8")
    assert re.search(
        r"@media \(max-width: 767\.98px\)[^@]*\.event-tabs \.nav-link\.active-below-md", css)


def test_tabs_in_bahasa_indonesia(app, owner, event):
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    html = client.get(f"/manage/events/{event.id}/agenda").get_data(as_text=True)
    tabs = _tabs(html)
    assert [_text(a) for a in tabs["in_view"]] == [
        "Ringkasan", "Peserta", "Undangan", "Registrasi ulang"]
    assert _text(tabs["toggle"]).startswith("Lainnya: Agenda (halaman ini)")
    assert 'aria-label="Bagian acara"' in html


def test_tabs_follow_the_team_members_rights(app, make_user, event):
    staff = make_user("staff")
    add_team_member(event, staff, can_checkin=True)
    client = logged_in(app, staff)
    for path in ("", "/registrations"):  # the overview and the participant list
        tabs = _tabs(client.get(f"/manage/events/{event.id}{path}").get_data(as_text=True))
        labels = [_text(a) for a in tabs["in_view"]]
        assert labels == ["Overview", "Participants", "Check-in"], path
        assert "Invitations" not in [_text(a) for a in tabs["in_menu"]], path


# --- "My events" -----------------------------------------------------------------------------

def test_my_events_links_the_check_in_desk_where_the_user_may_check_in(app, make_user, owner):
    desk_event = create_event(owner, title="Desk here")
    invite_event = create_event(owner, title="Only inviting")
    managed_event = create_event(owner, title="Managed")
    staff = make_user("staff")
    add_team_member(desk_event, staff, can_checkin=True)
    add_team_member(invite_event, staff, can_invite=True)
    add_team_member(managed_event, staff, can_manage=True)  # managing implies checking in
    html = logged_in(app, staff).get("/manage/").get_data(as_text=True)
    desks = [e for e in _elements(html) if "data-checkin-desk" in e["attrs"]]
    hrefs = sorted(e["attrs"]["href"] for e in desks)
    assert hrefs == sorted(f"/manage/events/{e.id}/checkin" for e in (desk_event, managed_event))
    names = {_text(e) for e in desks}
    assert names == {"Check-in desk: Desk here", "Check-in desk: Managed"}
    # each desk link opens (the same rule as the desk's own page)
    client = logged_in(app, staff)
    for href in hrefs:
        assert client.get(href).status_code == 200
    assert client.get(f"/manage/events/{invite_event.id}/checkin").status_code == 403
    # the event's title still opens its overview
    assert f'href="/manage/events/{invite_event.id}"' in html


def test_my_events_in_bahasa_indonesia_and_for_the_owner(app, owner, event):
    client = logged_in(app, owner)
    client.set_cookie("lang", "id")
    html = client.get("/manage/").get_data(as_text=True)
    desks = [e for e in _elements(html) if "data-checkin-desk" in e["attrs"]]
    assert [_text(e) for e in desks] == [f"Meja registrasi ulang: {event.title}"]


# --- the participant list on a phone ---------------------------------------------------------

def test_participant_list_shows_each_status_with_the_name_on_a_phone(app, owner, event):
    add_registration(event, given_name="Ayu", status=RegistrationStatus.WAITLISTED)
    add_registration(event, given_name="Budi", status=RegistrationStatus.CONFIRMED)
    html = logged_in(app, owner).get(
        f"/manage/events/{event.id}/registrations").get_data(as_text=True)
    elements = _elements(html)
    phone = [e for e in elements if "data-status-phone" in e["attrs"]]
    assert sorted(_text(e) for e in phone) == ["Confirmed", "On the waiting list"]
    for cell in phone:
        assert "d-md-none" in cell["classes"]
        # in the name's cell, the column that stays in view on a phone
        assert any(a["tag"] == "td" for a in cell["ancestors"])
    status_cells = [e for e in elements if "data-status" in e["attrs"]]
    assert len(status_cells) == 2
    assert all({"d-none", "d-md-table-cell"} <= e["classes"] for e in status_cells)
    header = [e for e in elements if e["tag"] == "th" and _text(e).startswith("Status")]
    assert header and {"d-none", "d-md-table-cell"} <= header[0]["classes"]


# --- white text over the event banner's gradient ---------------------------------------------

def _rule(css: str, selector: str) -> str:
    match = re.search(r"(?:^|})\s*" + re.escape(selector) + r"\s*{([^}]*)}", css, re.M)
    assert match, selector
    return match.group(1)


def _variables(css: str) -> dict[str, str]:
    """Custom properties of every :root rule, later ones winning."""
    found = {}
    for body in re.findall(r":root\s*{([^}]*)}", css):
        found.update(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", body))
    return found


def _rgb(colour: str, variables: dict[str, str]) -> tuple[float, float, float]:
    colour = colour.strip()
    while colour.startswith("var("):
        colour = variables[colour[4:-1].strip()].strip()
    if colour.startswith("#"):
        digits = colour[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))
    numbers = re.findall(r"[\d.]+", colour)
    return tuple(float(n) for n in numbers[:3])


def gradient_stops(css: str, selector: str = ".event-hero") -> list[tuple[float, float, float]]:
    """The colour stops of the selector's linear-gradient background, in order."""
    body = _rule(css, selector)
    match = re.search(r"linear-gradient\((.*)\)\s*;", body)
    assert match, f"no linear-gradient in {selector}"
    parts = re.split(r",(?![^()]*\))", match.group(1))
    stops = [p.strip() for p in parts if not re.fullmatch(r"\s*[\d.]+deg\s*|\s*to [a-z ]+", p)]
    colours = [re.sub(r"\s+[\d.]+%$", "", stop) for stop in stops]
    return [_rgb(colour, _variables(css)) for colour in colours]


def _luminance(rgb) -> float:
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(v) for v in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground, background) -> float:
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def lowest_contrast_on_gradient(stops, alpha: float, steps: int = 200) -> float:
    """White text at ``alpha`` over every point of the gradient (sRGB interpolation)."""
    lowest = float("inf")
    for first, second in zip(stops, stops[1:], strict=False):
        for step in range(steps + 1):
            t = step / steps
            background = tuple(a + (b - a) * t for a, b in zip(first, second, strict=True))
            text = tuple(255 * alpha + v * (1 - alpha) for v in background)
            lowest = min(lowest, contrast(text, background))
    return lowest


def test_contrast_helpers_measure_what_wcag_says():
    assert contrast((255, 255, 255), (0, 0, 0)) == pytest.approx(21)
    assert contrast((255, 255, 255), (0x76, 0x76, 0x76)) == pytest.approx(4.54, abs=0.01)
    # a gradient ending in a light blue fails where it is lightest
    assert lowest_contrast_on_gradient([(11, 61, 102), (80, 150, 220)], 1.0) < 4.5
    css = (":root { --brand: #0b3d66; }\n"
           ".x { background: linear-gradient(135deg, var(--brand) 0%, #fff 100%); }")
    assert gradient_stops(css, ".x") == [(11, 61, 102), (255, 255, 255)]


def test_white_text_on_the_event_banner_passes_wcag_aa_at_every_point():
    css = APP_CSS.read_text(encoding="utf-8")
    assert re.search(r"color:\s*#fff\b", _rule(css, ".event-hero"))
    stops = gradient_stops(css)
    assert len(stops) >= 2
    # the faintest text in the banner: the smallest opacity utility used inside it
    hero = EVENT_SHOW.read_text(encoding="utf-8").split('class="event-hero', 1)[1]
    hero = hero.split("</section>", 1)[0]
    opacities = [int(n) / 100 for n in re.findall(r"\bopacity-(\d+)\b", hero)]
    for alpha in {1.0, *opacities}:
        ratio = lowest_contrast_on_gradient(stops, alpha)
        assert ratio >= 4.5, f"white at {alpha:.0%} over the banner: {ratio:.2f}:1"
