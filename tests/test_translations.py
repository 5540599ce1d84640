"""The Indonesian catalog is complete, and pages, form errors and emails use it.

``test_catalog_translates_every_message`` extracts the messages afresh, exactly as
``make extract-messages`` does (the arguments are read from the Makefile), and fails for any
message without an Indonesian translation. When it fails: run ``make extract-messages``, translate
the new entries in translations/id/LC_MESSAGES/messages.po (no fuzzy ones, keep every placeholder),
then ``make translations``.
"""

import re
import shlex
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po
from wtforms import StringField
from wtforms.validators import DataRequired

from seminar_app.forms import BaseForm
from seminar_app.services.mail.compose import render_email
from tests.conftest import post_form

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "id" / "LC_MESSAGES" / "messages.po"
#: %(name)s-style and bare %s/%d placeholders, and str.format fields such as {name}
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|\{\w*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _extract_arguments(output: Path) -> list[str]:
    """The arguments of the Makefile's ``pybabel extract``, writing to ``output``."""
    for line in (ROOT / "Makefile").read_text().splitlines():
        words = shlex.split(line)
        if words and words[0].endswith("pybabel") and words[1:2] == ["extract"]:
            arguments = words[2:]
            arguments[arguments.index("-o") + 1] = str(output)
            return arguments
    raise AssertionError("no 'pybabel extract' line in the Makefile")


@pytest.fixture(scope="module")
def fresh_messages(tmp_path_factory):
    """The messages of a fresh extraction from the sources, as make extract-messages finds them."""
    output = tmp_path_factory.mktemp("extract") / "messages.pot"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        CommandLineInterface().run(["pybabel", "-q", "extract", *_extract_arguments(output)])
    with output.open("rb") as file:
        return [message for message in read_po(file) if message.id]


@pytest.fixture(scope="module")
def catalog():
    """The Indonesian catalog as committed."""
    with CATALOG.open("rb") as file:
        return read_po(file, locale="id")


def _placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def _tags(text: str) -> Counter:
    return Counter(HTML_TAG.findall(text))


def _problem(message, translated) -> str | None:
    """Why ``translated`` is not a usable translation of ``message``; None when it is."""
    if translated is None:
        return "missing from the catalog (run make extract-messages)"
    if translated.fuzzy:
        return "fuzzy"
    strings = translated.string if isinstance(translated.string, tuple) else (translated.string,)
    if not all(strings):
        return "not translated"
    # One plural form in Indonesian: its text stands for every count, like msgid_plural.
    source = message.id[-1] if isinstance(message.id, tuple) else message.id
    for string in strings:
        if _placeholders(string) != _placeholders(source):
            return f"placeholders differ: {string!r}"
        if _tags(string) != _tags(source):
            return f"HTML tags differ: {string!r}"
    return None


def test_catalog_translates_every_message(fresh_messages, catalog):
    assert len(fresh_messages) > 100, "the extraction found almost nothing: check babel.cfg"
    problems = []
    for message in fresh_messages:
        problem = _problem(message, catalog.get(message.id))
        if problem:
            problems.append(f"{message.id!r}: {problem}")
    assert not problems, "Indonesian catalog incomplete:\n" + "\n".join(problems)


def test_catalog_problem_found_for_bad_translations(fresh_messages, catalog):
    """The completeness check itself notices what it must (so that it can fail)."""
    message = next(m for m in fresh_messages if "%(" in str(m.id) and not m.pluralizable)
    good = catalog.get(message.id)
    assert _problem(message, good) is None
    assert _problem(message, None)
    assert _problem(message, SimpleNamespace(fuzzy=True, string=good.string))
    assert _problem(message, SimpleNamespace(fuzzy=False, string=""))
    assert _problem(message, SimpleNamespace(fuzzy=False, string="tanpa tempat penampung"))


def test_catalog_has_one_plural_form(catalog):
    assert catalog.num_plurals == 1 and catalog.plural_expr == "0"


@pytest.mark.parametrize(("lang", "expected", "absent"), [
    ("id", ["Acara mendatang", "Masuk staf", "Cari"], "Upcoming events"),
    ("en", ["Upcoming events", "Staff login", "Search"], "Acara mendatang"),
])
def test_home_page_in_chosen_language(client, lang, expected, absent):
    client.set_cookie("lang", lang)
    html = client.get("/").get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    for text in expected:
        assert text in html
    assert absent not in html


@pytest.mark.parametrize(("lang", "title", "button"), [
    ("id", "Masuk staf", 'value="Masuk"'),
    ("en", "Staff login", 'value="Log in"'),
])
def test_login_page_in_chosen_language(client, lang, title, button):
    client.set_cookie("lang", lang)
    html = client.get("/manage/login").get_data(as_text=True)
    assert title in html and button in html


@pytest.mark.parametrize(("lang", "title", "absent"), [
    ("id", "Halaman tidak ditemukan", "Page not found"),
    ("en", "Page not found", "Halaman tidak ditemukan"),
])
def test_error_page_not_found_in_chosen_language(client, lang, title, absent):
    client.set_cookie("lang", lang)
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert title in html and absent not in html


@pytest.mark.parametrize(("lang", "messages"), [
    ("id", ["Masukkan alamat email Anda.", "Masukkan kata sandi Anda."]),
    ("en", ["Enter your email address.", "Enter your password."]),
])
def test_login_empty_fields_errors_in_chosen_language(client, lang, messages):
    client.set_cookie("lang", lang)
    response = post_form(client, "/manage/login", {"email": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in messages:
        assert message in html


class _BareForm(BaseForm):
    """A field with WTForms' own default message (no message of ours)."""

    name = StringField(validators=[DataRequired()])


@pytest.mark.parametrize(("lang", "message"), [
    ("id", "Isian ini wajib diisi."),
    ("en", "This field is required."),
])
def test_wtforms_builtin_message_in_chosen_language(app, lang, message):
    with app.test_request_context(method="POST", data={}, headers={"Cookie": f"lang={lang}"}):
        form = _BareForm(meta={"csrf": False})
        assert not form.validate()
        assert form.name.errors == [message]


def _team_email_context():
    return {"user": SimpleNamespace(name="Siti Nugraha"),
            "event": SimpleNamespace(title="Forum Kerja Sama Selatan-Selatan"),
            "can_manage": False, "can_invite": True, "can_checkin": False,
            "event_url": "https://example.org/manage/events/1"}


def test_render_email_indonesian_subject_and_body(app):
    with app.test_request_context():
        rendered = render_email("team_member_added_to_staff", language="id",
                                context=_team_email_context())
        english = render_email("team_member_added_to_staff", language="en",
                               context=_team_email_context())
    assert rendered.subject == "Anda telah ditambahkan ke tim Forum Kerja Sama Selatan-Selatan"
    assert "Yth. Siti Nugraha," in rendered.text
    assert "mengirim undangan dan email" in rendered.text
    assert '<html lang="id">' in rendered.html
    assert english.subject == "You were added to the team of Forum Kerja Sama Selatan-Selatan"
