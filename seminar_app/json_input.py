"""Reading a request's JSON body with bounded size and nesting.

Rules: every JSON body the app accepts (the API, the check-in desk's offline sync) is read
through ``read_json_body``. A body larger than the caller's limit, one that is not UTF-8 JSON,
or one nested deeper than MAX_JSON_DEPTH levels is refused with a translated message, before
the parser could recurse (100,000 nested lists would otherwise end in a RecursionError, a 500).
The nesting is measured on the raw text (strings left out), so the check itself never
recurses either.
"""

import json
import re
from itertools import accumulate

from flask import request
from flask_babel import gettext as _

#: deepest nesting of arrays and objects accepted (our bodies need 3)
MAX_JSON_DEPTH = 32
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class JsonBodyError(ValueError):
    """A request body that cannot be accepted as JSON; ``reason`` is one of REASONS."""

    REASONS = ("too_large", "broken", "too_deep")

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON ``text`` (0 for a scalar)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    steps = (1 if char in "[{" else -1 for char in brackets)
    return max(accumulate(steps, initial=0))


def parse_json(raw: bytes, *, max_bytes: int, max_depth: int = MAX_JSON_DEPTH):
    """``raw`` parsed as JSON; JsonBodyError when too large, broken or too deeply nested."""
    if len(raw) > max_bytes:
        raise JsonBodyError(_("The request body is too large."), reason="too_large")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise JsonBodyError(_("The request body is not valid JSON."), reason="broken") from None
    if json_depth(text) > max_depth:
        raise JsonBodyError(_("The request body is nested too deeply (at most %(max)d levels).",
                              max=max_depth), reason="too_deep")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise JsonBodyError(_("The request body is not valid JSON."), reason="broken") from None


def read_json_body(*, max_bytes: int, max_depth: int = MAX_JSON_DEPTH):
    """The current request's body parsed as JSON, within ``max_bytes`` and ``max_depth``."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise JsonBodyError(_("The request body is too large."), reason="too_large")
    return parse_json(request.get_data(cache=True), max_bytes=max_bytes, max_depth=max_depth)
