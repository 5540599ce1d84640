"""The base form: control characters stripped, WTForms messages through our catalog."""

from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, StringField

from seminar_app.forms import BaseForm, strip_control_characters


class _SampleForm(BaseForm):
    name = StringField()
    count = IntegerField()


def test_strip_control_characters_keeps_text_and_line_breaks():
    assert strip_control_characters("a\x00b\x1fc\td\ne") == "abc\td\ne"
    assert strip_control_characters(["x\x00", "y"]) == ["x", "y"]
    assert strip_control_characters(5) == 5


def test_base_form_removes_nul_from_submitted_text(app):
    with app.test_request_context(method="POST"):
        form = _SampleForm(
            formdata=MultiDict({"name": "Dr.\x00 Siti", "count": "3"}), meta={"csrf": False}
        )
        assert form.validate()
        assert form.name.data == "Dr. Siti"


def test_base_form_builtin_messages_use_catalog(app):
    with app.test_request_context(method="POST"):
        form = _SampleForm(formdata=MultiDict({"count": "abc"}), meta={"csrf": False})
        assert not form.validate()
        assert form.count.errors == ["Not a valid integer value."]
