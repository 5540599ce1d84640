"""Small charts drawn on the server as inline SVG (no JavaScript, works in print and on phones).

Every chart is an accessible image (``role="img"`` named by its ``<title>`` and described by its
``<desc>``) followed by the same numbers as a table that only screen readers see. Labels are
escaped: they may come from delegates (organisation names, answers) or from translations.
"""

import itertools
import logging

from flask_babel import gettext as _
from markupsafe import Markup, escape

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
