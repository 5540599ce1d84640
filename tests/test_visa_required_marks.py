"""Passport fields carry the required mark of every required field (an asterisk, hidden from
screen readers, which hear a note instead) because they are required once a visa letter is
asked for; fields a personal link keeps when left empty carry none (issue 14)."""

import re
from datetime import date, timedelta

from tests.factories import make_registration
from tests.public_factories import create_event

VISA_FIELDS = ("passport_number", "nationality", "birth_date", "birth_place", "passport_expiry")


def _marked(html: str, field: str) -> bool:
    label = re.search(rf'<label[^>]*for="{field}"[^>]*>[^<]*</label>\s*<span class="text-danger" '
                      r'aria-hidden="true">\*</span>', html)
    control = re.search(rf'<(?:input|select)[^>]*\bid="{field}"[^>]*>', html)
    assert control, field
    described = re.search(r'aria-describedby="([^"]*)"', control.group(0))
    return bool(label) and described is not None and "visa-required-note" in described.group(1) \
        and "data-required-when" in control.group(0)


def test_passport_fields_are_marked_required_when_a_visa_letter_is_asked_for(client, make_user):
    event = create_event(make_user("organizer"))
    for language, note in (("en", "Required when a visa letter is asked for."),
                           ("id", "Wajib diisi bila meminta surat visa.")):
        client.set_cookie("lang", language)
        html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
        assert re.search(r'id="visa-required-note"[^>]*><span class="text-danger" '
                         r'aria-hidden="true">\*</span> ' + re.escape(note), html)
        assert all(_marked(html, field) for field in VISA_FIELDS), language


def test_write_only_fields_kept_on_a_personal_link_carry_no_mark(client, make_user):
    event = create_event(make_user("organizer"))
    _registration, token = make_registration(
        event, needs_visa_letter=True, passport_number="B1234567", nationality="MY",
        birth_date=date(1975, 4, 2), birth_place="Kuala Lumpur",
        passport_expiry=event.end_at.date() + timedelta(days=365))
    html = client.get(f"/r/{token}/edit").get_data(as_text=True)
    assert [f for f in VISA_FIELDS if _marked(html, f)] == ["nationality", "passport_expiry"]
