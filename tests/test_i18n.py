"""Countries, time zones and dates in both languages."""

from datetime import UTC, datetime

from flask_babel import force_locale

from seminar_app.i18n import (
    country_choices,
    country_name,
    is_country_code,
    is_timezone,
    local_date,
    local_datetime,
    timezone_choices,
    zone_abbreviation,
)


def test_country_names_in_both_languages(app):
    with app.test_request_context():
        assert country_name("DE", "en") == "Germany"
        assert country_name("DE", "id") == "Jerman"
        assert country_name("TL", "id")  # Timor-Leste has a name in Indonesian
        assert country_name("", "en") == ""


def test_country_choices_cover_iso_3166_and_sort_by_local_name(app):
    with app.test_request_context():
        choices = country_choices("id")
    codes = [code for code, _ in choices]
    assert len(codes) >= 249 and len(set(codes)) == len(codes)
    names = [name for _, name in choices]
    assert names.index("Jerman") > names.index("Afganistan")


def test_is_country_code():
    assert is_country_code("ID") and is_country_code("id")
    assert not is_country_code("XX") and not is_country_code("")


def test_timezone_choices_start_with_indonesia():
    zones = [zone for zone, _ in timezone_choices()]
    assert zones[:3] == ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]
    assert "Europe/Berlin" in zones and len(zones) == len(set(zones))
    assert is_timezone("America/New_York") and not is_timezone("Mars/Olympus")


def test_zone_abbreviations_for_indonesia():
    moment = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
    assert zone_abbreviation(moment, "Asia/Jakarta") == "WIB"
    assert zone_abbreviation(moment, "Asia/Makassar") == "WITA"
    assert zone_abbreviation(moment, "Asia/Jayapura") == "WIT"


def test_local_datetime_formats_per_language(app):
    moment = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # 09:00 in Jakarta
    with app.test_request_context():
        with force_locale("en"):
            assert local_date(moment, "Asia/Jakarta") == "Tuesday, 17 March 2026"
            assert local_datetime(moment, "Asia/Jakarta").endswith("WIB")
        with force_locale("id"):
            assert local_date(moment, "Asia/Jakarta") == "Selasa, 17 Maret 2026"
            assert "09.00" in local_datetime(moment, "Asia/Jakarta")
        with force_locale("en"):
            assert "11:00" in local_datetime(moment, "Asia/Jayapura")
