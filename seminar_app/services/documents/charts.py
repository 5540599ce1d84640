"""Small charts drawn on the server as inline SVG (no JavaScript, works in print and on phones).

Every chart is an accessible image (``role="img"`` named by its ``<title>`` and described by its
``<desc>``) followed by the same numbers as a table that only screen readers see. Labels are
escaped: they may come from delegates (organisation names, answers) or from translations.
"""

import itertools
import logging

from flask_babel import gettext as _
from markupsafe import Markup, escape

from ...i18n import formatting_locale

log = logging.getLogger(__name__)

#: geometry of the horizontal bar chart, in SVG user units
WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 56
BAR_HEIGHT = 18
ROW_GAP = 8
LABEL_MAX_CHARS = 30
BAR_COLOUR = "#0b5d7a"
TEXT_COLOUR = "#212529"

_ids = itertools.count(1)


def _short(label: str) -> str:
    """``label`` cut to fit the label column, with an ellipsis when cut."""
    return label if len(label) <= LABEL_MAX_CHARS else label[: LABEL_MAX_CHARS - 1] + "…"


def _bar_rows(items: list[tuple[str, int]], largest: int) -> list[str]:
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for index, (label, value) in enumerate(items):
        y = index * (BAR_HEIGHT + ROW_GAP)
        length = max(1, round(track * value / largest)) if value > 0 and largest > 0 else 0
        middle = y + BAR_HEIGHT / 2
        rows.append(
            f'<g><title>{escape(label)}: {value}</title>'
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="13" fill="{TEXT_COLOUR}">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="2" '
            f'fill="{BAR_COLOUR}"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" dominant-baseline="middle" '
            f'font-size="13" fill="{TEXT_COLOUR}">{value}</text></g>'
        )
    return rows


def _table(items: list[tuple[str, int]], *, title: str, label_header: str,
           value_header: str) -> str:
    body = "".join(
        f"<tr><th scope=\"row\">{escape(label)}</th><td>{value}</td></tr>"
        for label, value in items
    )
    return (
        f'<table class="visually-hidden"><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(label_header)}</th>'
        f'<th scope="col">{escape(value_header)}</th></tr></thead><tbody>{body}</tbody></table>'
    )


def bar_chart_svg(items: list[tuple[str, int]], *, title: str, label_header: str | None = None,
                  value_header: str | None = None) -> Markup:
    """A horizontal bar chart of ``items`` (label, value) as inline SVG, plus a hidden table."""
    items = [(str(label), int(value)) for label, value in items]
    chart_id = f"chart-{next(_ids)}"
    label_header = label_header or _("Item")
    value_header = value_header or _("Number")
    if not items:
        return Markup('<p class="text-body-secondary small mb-0">{}</p>').format(_("No data yet."))
    largest = max(value for _label, value in items)
    height = len(items) * (BAR_HEIGHT + ROW_GAP) - ROW_GAP
    description = _("Bar chart with %(count)d bars; the same numbers follow as a table.",
                    count=len(items))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="bar-chart w-100 h-auto" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(_bar_rows(items, largest))
        + "</svg>"
    )
    table = _table(items, title=title, label_header=label_header, value_header=value_header)
    return Markup(svg + table)  # noqa: S704 - every label and text above is escaped


# --- dashboard charts: numbers written in the reader's language ------------------------------

#: geometry of the column chart (one column per day), in SVG user units
COLUMN_HEIGHT = 180
COLUMN_AXIS = 22
COLUMN_TOP = 18
#: at most this many day labels under the columns (first and last always shown)
COLUMN_MAX_LABELS = 8


def format_number(value: float, *, percent: bool = False) -> str:
    """``value`` as the current language writes it: 1,234 / 1.234; 45.5% / 45,5%."""
    from babel.numbers import format_decimal, format_percent

    locale = formatting_locale()
    if percent:
        return format_percent(value, "#,##0.#%", locale=locale)
    return format_decimal(value, locale=locale)


def _svg_open(chart_id: str, css_class: str, width: int, height: int, title: str,
              description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="{css_class} w-100 h-auto" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
    )


def _text_table(rows: list[list[str]], headers: list[str], *, title: str) -> str:
    """A screen-reader table: first column as row headers, every cell escaped."""
    head = "".join(f'<th scope="col">{escape(text)}</th>' for text in headers)
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(cell)}</td>" for cell in row[1:]) + "</tr>"
        for row in rows
    )
    return (f'<table class="visually-hidden"><caption>{escape(title)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _no_data() -> Markup:
    return Markup('<p class="text-body-secondary small mb-0">{}</p>').format(_("No data yet."))


def ranked_bar_chart_svg(items: list[tuple[str, float]], *, title: str, label_header: str,
                         value_header: str, percent: bool = False,
                         maximum: float | None = None,
                         extra: list[tuple[str, list[str]]] | None = None) -> Markup:
    """Horizontal bars of ``items`` (label, value), values written in the current language.

    ``percent``: values are ratios (0.5 is 50%) and ``maximum`` (default: the largest value)
    is the full length of a bar. ``extra`` adds columns to the screen-reader table: (header,
    one text per item), e.g. the counts behind a rate.
    """
    items = [(str(label), float(value)) for label, value in items]
    if not items:
        return _no_data()
    chart_id = f"chart-{next(_ids)}"
    largest = maximum if maximum is not None else max(value for _label, value in items)
    track = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    rows = []
    for index, (label, value) in enumerate(items):
        text = format_number(value, percent=percent)
        y = index * (BAR_HEIGHT + ROW_GAP)
        length = max(1, round(track * min(value, largest) / largest)) \
            if value > 0 and largest > 0 else 0
        middle = y + BAR_HEIGHT / 2
        rows.append(
            f"<g><title>{escape(label)}: {escape(text)}</title>"
            f'<text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" '
            f'dominant-baseline="middle" font-size="13" fill="{TEXT_COLOUR}">'
            f"{escape(_short(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="2" '
            f'fill="{BAR_COLOUR}"></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{middle}" dominant-baseline="middle" '
            f'font-size="13" fill="{TEXT_COLOUR}">{escape(text)}</text></g>'
        )
    height = len(items) * (BAR_HEIGHT + ROW_GAP) - ROW_GAP
    description = _("Bar chart with %(count)d bars; the same numbers follow as a table.",
                    count=len(items))
    svg = (_svg_open(chart_id, "bar-chart", WIDTH, height, title, description)
           + "".join(rows) + "</svg>")
    headers = [label_header, value_header] + [header for header, _texts in extra or []]
    table_rows = [
        [label, format_number(value, percent=percent)]
        + [texts[index] for _header, texts in extra or []]
        for index, (label, value) in enumerate(items)
    ]
    return Markup(svg + _text_table(table_rows, headers, title=title))  # noqa: S704 - escaped


def column_chart_svg(items: list[tuple[str, float]], *, title: str, label_header: str,
                     value_header: str,
                     extra: list[tuple[str, list[str]]] | None = None) -> Markup:
    """Vertical columns of ``items`` (label, value) in order, e.g. one per day.

    Some labels are written under the columns (never more than COLUMN_MAX_LABELS); every
    column names its label and value in a tooltip, and the table lists them all.
    """
    items = [(str(label), float(value)) for label, value in items]
    if not items:
        return _no_data()
    chart_id = f"chart-{next(_ids)}"
    largest = max(value for _label, value in items) or 1
    count = len(items)
    slot = WIDTH / count
    gap = min(4.0, slot * 0.2)
    step = max(1, -(-count // COLUMN_MAX_LABELS))
    height = COLUMN_TOP + COLUMN_HEIGHT + COLUMN_AXIS
    base = COLUMN_TOP + COLUMN_HEIGHT
    parts = [
        f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{TEXT_COLOUR}" '
        f'stroke-width="1"></line>',
        f'<text x="0" y="{COLUMN_TOP - 6}" font-size="12" fill="{TEXT_COLOUR}">'
        f"{escape(format_number(largest))}</text>",
    ]
    for index, (label, value) in enumerate(items):
        bar = round(COLUMN_HEIGHT * value / largest, 2) if value > 0 else 0
        x = round(index * slot + gap / 2, 2)
        parts.append(
            f"<g><title>{escape(label)}: {escape(format_number(value))}</title>"
            f'<rect x="{x}" y="{round(base - bar, 2)}" width="{round(slot - gap, 2)}" '
            f'height="{bar}" fill="{BAR_COLOUR}"></rect></g>'
        )
        last = index == count - 1
        if last or index == 0 or (index % step == 0 and count - 1 - index > step // 2):
            anchor = "start" if index == 0 else "end" if last else "middle"
            x_text = 0 if index == 0 else WIDTH if last else x + (slot - gap) / 2
            parts.append(
                f'<text x="{round(x_text, 2)}" y="{base + 16}" text-anchor="{anchor}" '
                f'font-size="12" fill="{TEXT_COLOUR}">{escape(_short(label))}</text>'
            )
    description = _("Column chart with %(count)d columns; the same numbers follow as a table.",
                    count=count)
    svg = (_svg_open(chart_id, "column-chart", WIDTH, height, title, description)
           + "".join(parts) + "</svg>")
    headers = [label_header, value_header] + [header for header, _texts in extra or []]
    table_rows = [
        [label, format_number(value)] + [texts[index] for _header, texts in extra or []]
        for index, (label, value) in enumerate(items)
    ]
    return Markup(svg + _text_table(table_rows, headers, title=title))  # noqa: S704 - escaped
