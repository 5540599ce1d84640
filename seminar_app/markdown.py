"""Organizer Markdown turned into safe HTML, and links kept to safe schemes.

Rules: rendered Markdown keeps only harmless tags and attributes, and links only with the
schemes of SAFE_URL_SCHEMES (http, https, mailto) or none (relative). HTML finished after
sanitizing (an email whose placeholders were filled in later) goes through
``drop_unsafe_links``, which removes every ``href`` with another scheme.
"""

import html as html_lib
import re

import markdown as md
import nh3
from markupsafe import Markup

_ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
#: the only URL schemes a link may have
SAFE_URL_SCHEMES = frozenset({"http", "https", "mailto"})
#: an href attribute as this app writes it (Jinja, nh3 and html.escape: always double quotes)
HREF = re.compile(r'\shref\s*=\s*"([^"]*)"', re.IGNORECASE)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
#: what a browser ignores in a URL's scheme (whitespace and control characters)
_IGNORED_IN_URL = re.compile(r"[\x00-\x20\x7f]")


def render_markdown(text: str | None) -> Markup:
    """Render Markdown to HTML and keep only harmless tags, attributes and URL schemes."""
    if not text:
        return Markup("")
    html = md.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=set(SAFE_URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above


def is_safe_url(url: str) -> bool:
    """Whether ``url`` (as written in an attribute) has no scheme or one of SAFE_URL_SCHEMES."""
    plain = _IGNORED_IN_URL.sub("", html_lib.unescape(url)).lower()
    match = _SCHEME.match(plain)
    return match is None or match.group(1) in SAFE_URL_SCHEMES


def drop_unsafe_links(html: str) -> str:
    """``html`` without the ``href`` attributes whose scheme is not a safe one."""
    return HREF.sub(lambda match: match.group(0) if is_safe_url(match.group(1)) else "", html)
