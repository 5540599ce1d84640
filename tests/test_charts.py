"""The server-side SVG bar chart."""

import xml.etree.ElementTree as ET

from seminar_app.services.documents.charts import bar_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def parse_xml(data):
    """Parse XML this app wrote itself (trusted input)."""
    return ET.fromstring(data)  # noqa: S314 - our own output, not untrusted data


def _svg_part(markup) -> str:
    text = str(markup)
    return text[: text.index("</svg>") + len("</svg>")]


def test_bar_chart_svg_is_an_accessible_image(app):
    with app.test_request_context():
        markup = bar_chart_svg([("Indonesia", 5), ("Malaysia", 2)], title="By country")
    root = parse_xml(_svg_part(markup))
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}title").text == "By country"
    assert root.find(f"{SVG}desc").get("id") == desc_id
    widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0
    assert "<th scope=\"row\">Malaysia</th><td>2</td>" in str(markup)


def test_bar_chart_svg_escapes_hostile_labels(app):
    with app.test_request_context():
        markup = bar_chart_svg([("<script>alert(1)</script>", 3), ('"&', 1)],
                               title="<img src=x onerror=alert(1)>")
    text = str(markup)
    assert "<script>" not in text and "<img" not in text
    assert "&lt;script&gt;" in text
    parse_xml(_svg_part(markup))  # still well-formed XML


def test_bar_chart_svg_zero_values_and_empty(app):
    with app.test_request_context():
        root = parse_xml(_svg_part(bar_chart_svg([("A", 0), ("B", 0)], title="t")))
        empty = str(bar_chart_svg([], title="t"))
    assert [rect.get("width") for rect in root.iter(f"{SVG}rect")] == ["0", "0"]
    assert "<svg" not in empty


def test_bar_chart_svg_ids_differ_between_charts(app):
    with app.test_request_context():
        first = parse_xml(_svg_part(bar_chart_svg([("A", 1)], title="a")))
        second = parse_xml(_svg_part(bar_chart_svg([("A", 1)], title="b")))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")
