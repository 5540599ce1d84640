"""The machinery of the JSON API: token authentication, error bodies, reading JSON bodies
and query arguments, pagination, and loading an event within a token's scope.

Authentication is by ``Authorization: Bearer <token>`` only. Cookies and the login session
are ignored on /api/v1: the acting user is the token's creator, set for the request before
anything reads ``current_user``. Since no cookie ever authenticates a request here, cross-site
request forgery cannot act on anyone's behalf, and the blueprint is exempt from CSRF tokens.
The document and its docs page need no token; ``OPTIONAL_TOKEN_ENDPOINTS`` (the agenda of a
public event) answer without one and check one when it is sent.

Errors are always ``{"error": {"code", "message", "fields"}}`` with the message in the
language of ``Accept-Language``. Events outside a token's scope (or invisible to its creator)
answer 404, like events that do not exist, so that ids cannot be probed; a reachable event on
which the creator lacks the right, or a write with a read-only token, answers 403.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from urllib.parse import urlencode

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from ..error_texts import ERROR_TEXTS
from ..extensions import db
from ..forms import strip_control_characters
from ..i18n import country_choices
from ..json_input import JsonBodyError, read_json_body
from ..models import ApiToken, Event
from ..services.access import Permission
from ..services.accounts import api_tokens
from ..services.errors import Conflict, ServiceError

bp = Blueprint("api", __name__, url_prefix="/api/v1")

#: endpoints anyone may open without a token
PUBLIC_ENDPOINTS = {"api.openapi", "api.docs"}
#: endpoints that answer public data without a token and check a token when one is sent
#: (then ``current_token()`` is None for an anonymous request)
OPTIONAL_TOKEN_ENDPOINTS = {"api.get_agenda", "api.verify_certificate"}
#: largest JSON body accepted, in bytes
MAX_BODY_BYTES = 256 * 1024
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 25
MAX_PAGE = 100_000

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "server_error",
}
EXTRA_TEXTS = {
    401: _l("A valid API token is needed: send it as \"Authorization: Bearer <token>\"."),
    415: _l("Send the request body as JSON (Content-Type: application/json)."),
    422: _l("Some values are not valid."),
}


class ApiError(Exception):
    """An API answer other than success, raised anywhere in a view."""

    def __init__(self, status: int, message: str | None = None, *,
                 fields: dict[str, str] | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}


def default_message(status: int) -> str:
    if status in EXTRA_TEXTS:
        return str(EXTRA_TEXTS[status])
    return str(ERROR_TEXTS.get(status, ERROR_TEXTS[400 if status < 500 else 500])[1])


def error_response(status: int, message: str | None = None, *, fields: dict | None = None,
                   headers: dict | None = None):
    """The JSON error answer for ``status``."""
    if getattr(g, "locale_override", None) is None:
        set_api_language()
    code = ERROR_CODES.get(status, "bad_request" if status < 500 else "server_error")
    body = {"error": {"code": code, "message": str(message or default_message(status)),
                      "fields": {key: str(value) for key, value in (fields or {}).items()}}}
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def service_error_status(error: ServiceError) -> int:
    """A plain ServiceError (a rule refusing the values) is 422; its subclasses keep theirs."""
    return 422 if type(error).status_code == 400 and not isinstance(error, Conflict) \
        else error.status_code


def http_error_response(error: HTTPException):
    headers = {}
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 429:
        retry = _retry_after(error)
        if retry is not None:
            headers["Retry-After"] = str(retry)
    return error_response(error.code or 500, headers=headers)


def _retry_after(error) -> int | None:
    """Seconds of the exceeded limit's window (Flask-Limiter may give a closer value)."""
    item = getattr(getattr(error, "limit", None), "limit", None)
    try:
        return int(item.get_expiry())
    except (AttributeError, TypeError, ValueError):
        return 60


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    db.session.rollback()
    return error_response(error.status, error.message, fields=error.fields,
                          headers=error.headers)


@bp.errorhandler(ServiceError)
def _service_error(error: ServiceError):
    fields = {error.field: error.message} if error.field else {}
    return error_response(service_error_status(error), error.message, fields=fields)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    return http_error_response(error)


# --- every request ---------------------------------------------------------------------------

def set_api_language() -> None:
    """Messages in the language of Accept-Language (the web pages' cookie does not count)."""
    languages = current_app.config["LANGUAGES"]
    g.locale_override = request.accept_languages.best_match(languages) \
        or current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.before_request
def _authenticate():
    set_api_language()
    g._login_user = None  # never the session's user: only the token counts here
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return
    header = request.headers.get("Authorization", "")
    if request.endpoint in OPTIONAL_TOKEN_ENDPOINTS and "Authorization" not in request.headers:
        g.api_token = None
        return
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401)
    try:
        token = api_tokens.authenticate(secret.strip())
    except api_tokens.InvalidToken as error:
        raise ApiError(401, error.message) from None
    g.api_token = token
    g._login_user = token.created_by


def rate_limit_key() -> str:
    """Rate limits count per token (the presented one), else per address."""
    header = request.headers.get("Authorization", "")
    if header:
        return "api-token:" + api_tokens.hash_api_token(header)[:32]
    return "api-ip:" + (request.remote_addr or "unknown")


def rate_limit_value() -> str:
    return current_app.config.get("API_RATE_LIMIT") or "300 per minute"


def current_token() -> ApiToken | None:
    """The request's token (None only on OPTIONAL_TOKEN_ENDPOINTS without one)."""
    return g.api_token


def acting_user():
    return current_token().created_by


def require_write() -> None:
    if not current_token().can_write:
        raise ApiError(403, _("This API token may only read."))


def load_event(event_id: int, permission: Permission, *, write: bool = False):
    """(event, permissions): 404 outside the token's scope, 403 without ``permission``."""
    token = current_token()
    event = db.session.get(Event, event_id)
    permissions = api_tokens.token_permissions(token, event) if event is not None else set()
    if event is None or Permission.VIEW not in permissions:
        raise ApiError(404, _("This event does not exist."))
    if permission not in permissions:
        raise ApiError(403, _("You do not have the right to do this on this event."))
    if write:
        require_write()
    return event, permissions


# --- times -----------------------------------------------------------------------------------

def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601; times in UTC with Z."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return moment.isoformat()


# --- reading input ---------------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")


#: the years a date or a time may name, as written (JSON Schema: the pattern below)
YEAR_MIN, YEAR_MAX = 1900, 9000
#: the year part of a date or a time within YEAR_MIN..YEAR_MAX, as a regular expression
YEAR_PATTERN = r"(19[0-9]{2}|[2-8][0-9]{3}|9000)"
#: an RFC 3339 time with its offset (JSON Schema's ``date-time``)
_RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
                      r"([Zz]|[+-][0-9]{2}:[0-9]{2})")
#: text with at least one character that is neither white space nor a control character (C0,
#: DEL or C1: Python also counts U+0085 as white space, JSON Schema regexes do not)
#: (what remains once the services have collapsed it is not empty)
NOT_BLANK = r"[^\s\x00-\x1f\x7f-\x9f]"
#: every ISO 3166-1 alpha-2 code the system knows (services: ``i18n.is_country_code``)
COUNTRY_CODES = tuple(sorted(code for code, _name in country_choices("en")))


def date_pattern(kind: str) -> str:
    """The pattern of a ``date`` or ``date-time`` within the accepted years."""
    return f"^{YEAR_PATTERN}-"


@dataclass(frozen=True)
class Field:
    """One field of a JSON body: its type and limits (also written into the OpenAPI schema).

    ``pattern`` must match the whole value (the schema writes it anchored); ``format`` names a
    JSON Schema format the service checks beyond the schema's other keywords (``email``,
    ``phone``, ``person-name``), explained in ``description``.
    """

    name: str
    kind: str  # string | text | integer | boolean | date-time | date | enum | string-list
    max_length: int | None = None
    min_length: int | None = None
    format: str | None = None
    choices: tuple = ()
    minimum: int | None = None
    maximum: int | None = None
    nullable: bool = False
    required: bool = False
    description: str = ""
    pattern: str | None = None
    extra: dict = field(default_factory=dict)

    def schema(self) -> dict:
        kinds = {"string": "string", "text": "string", "integer": "integer",
                 "boolean": "boolean", "date-time": "string", "date": "string",
                 "enum": "string", "string-list": "array"}
        schema: dict = {"type": kinds[self.kind]}
        if self.kind in ("date-time", "date"):
            schema["format"] = self.kind
            schema["pattern"] = date_pattern(self.kind)
        if self.format:
            schema["format"] = self.format
        if self.min_length is not None:
            schema["minLength"] = self.min_length
        if self.max_length is not None:
            schema["maxLength"] = self.max_length
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        if self.pattern:
            schema["pattern"] = f"^(?:{self.pattern})$"
        if self.kind == "string-list":
            schema["items"] = {"type": "string", **({"enum": list(self.choices)}
                                                    if self.choices else {})}
            schema.pop("enum", None)
        if self.nullable:
            schema["type"] = [schema["type"], "null"]
            if "enum" in schema:
                schema["enum"] = [*schema["enum"], None]
        if self.description:
            schema["description"] = self.description
        schema.update(self.extra)
        return schema


def body_schema(fields: list[Field]) -> dict:
    """A JSON schema (OpenAPI 3.1) of a body made of ``fields``."""
    schema = {"type": "object", "properties": {f.name: f.schema() for f in fields}}
    required = [f.name for f in fields if f.required]
    if required:
        schema["required"] = required
    return schema


def json_body() -> dict:
    """The request's JSON object: 415 for another type, 413 when too large, 400 if broken or
    nested too deeply (json_input.MAX_JSON_DEPTH)."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise ApiError(413)
    if not request.is_json:
        raise ApiError(415)
    try:
        data = read_json_body(max_bytes=MAX_BODY_BYTES)
    except JsonBodyError as error:
        if error.reason == "too_large":
            raise ApiError(413) from None
        if error.reason == "too_deep":
            raise ApiError(400, error.message) from None
        data = None
    if not isinstance(data, dict):
        raise ApiError(400, _("The request body must be a JSON object."))
    return data


def _too_long(limit: int) -> str:
    return _("Use at most %(max)d characters.", max=limit)


def _check_value(spec: Field, value):
    """``value`` converted for the service, or raise ValueError with the message."""
    if value is None:
        if spec.nullable:
            return None
        raise ValueError(_("This field is required.") if spec.required
                         else _("This field cannot be null."))
    if spec.kind in ("string", "text", "enum", "date-time", "date"):
        if not isinstance(value, str):
            raise ValueError(_("Give a text value."))
        if _SURROGATES.search(value):
            raise ValueError(_("This text contains characters that cannot be stored."))
        # length and form are judged on the value as sent (as the document states them)
        if spec.kind in ("string", "text") and spec.max_length is not None \
                and len(value) > spec.max_length:
            raise ValueError(_too_long(spec.max_length))
        if spec.kind in ("string", "text") and spec.min_length and len(value) < spec.min_length:
            raise ValueError(_("This field is required."))
        if spec.pattern and not re.fullmatch(spec.pattern, value):
            raise ValueError(_("This field is required.") if spec.required and not value.strip()
                             else _("This value does not have the expected form."))
        value = strip_control_characters(value)
        if spec.kind == "enum":
            if value not in spec.choices:
                raise ValueError(_("Please choose one of the options."))
        elif spec.kind == "date-time":
            return parse_datetime(value)
        elif spec.kind == "date":
            return parse_date(value)
        return value
    if spec.kind == "integer":
        # JSON Schema counts 3.0 as an integer
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("Give a whole number."))
        if spec.minimum is not None and value < spec.minimum:
            raise ValueError(_("Give a number of at least %(min)d.", min=spec.minimum))
        if spec.maximum is not None and value > spec.maximum:
            raise ValueError(_("Give a number of at most %(max)d.", max=spec.maximum))
        return value
    if spec.kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError(_("Give true or false."))
        return value
    if spec.kind == "string-list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(_("Give a list of texts."))
        if spec.choices and any(v not in spec.choices for v in value):
            raise ValueError(_("Please choose from the options."))
        return value
    raise AssertionError(spec.kind)


def read_fields(data: dict, specs: list[Field], *, partial: bool = False) -> dict:
    """The values of ``specs`` found in ``data``, checked; 422 naming every bad field.

    Fields not in ``specs`` are ignored. With ``partial`` (PATCH) nothing is required.
    """
    values, errors = {}, {}
    for spec in specs:
        if spec.name not in data:
            if spec.required and not partial:
                errors[spec.name] = _("This field is required.")
            continue
        try:
            values[spec.name] = _check_value(spec, data[spec.name])
        except ValueError as error:
            errors[spec.name] = str(error)
    if errors:
        raise ApiError(422, next(iter(errors.values())), fields=errors)
    return values


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 time with its offset (Z for UTC), in UTC; its year as written is within
    YEAR_MIN..YEAR_MAX (the document's pattern)."""
    try:
        if not _RFC3339.fullmatch(text):
            raise ValueError
        written = datetime.fromisoformat(text.upper())
        if written.tzinfo is None:
            raise ValueError
    except ValueError:
        raise ValueError(_("Give a time in ISO 8601 with its offset, e.g. "
                           "2026-05-01T09:00:00+07:00.")) from None
    if not YEAR_MIN <= written.year <= YEAR_MAX:
        raise ValueError(_("Give a time between the years 1900 and 9000."))
    return written.astimezone(UTC)


def parse_date(text: str) -> date:
    """An ISO 8601 date (YYYY-MM-DD)."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("Give a date as YYYY-MM-DD.")) from None
    if not YEAR_MIN <= day.year <= YEAR_MAX:
        raise ValueError(_("Give a date between the years 1900 and 9000."))
    return day


def query_arg(name: str, kind: str = "string", *, choices=(), max_length: int = 200):
    """A query argument checked like a body field; 400 naming it when it is not valid.

    An absent argument is None; an empty one is "" for free text and refused for every other
    kind (an empty date, number or choice is not one), as is an argument given twice."""
    values = request.args.getlist(name)
    if not values:
        return None
    raw = values[0]
    try:
        if len(values) > 1:
            raise ValueError(_("Give this argument once."))
        if raw == "" and kind == "string":
            return ""
        if kind == "country":
            if raw not in COUNTRY_CODES:
                raise ValueError(_("Choose a country from the list."))
            return raw
        if kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError(_("Give true or false."))
            return raw == "true"
        if kind == "integer":
            if not re.fullmatch(r"-?[0-9]{1,9}", raw):
                raise ValueError(_("Give a whole number."))
            return int(raw)
        return _check_value(Field(name, kind, max_length=max_length, choices=tuple(choices)),
                            raw)
    except ValueError as error:
        raise ApiError(400, str(error), fields={name: str(error)}) from None


# --- pagination ------------------------------------------------------------------------------

def paginate(query):
    """(items, meta, Link header) of the page asked by ``?page=&per_page=``."""
    page, per_page = _page_args()
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False, count=True)
    meta = {"page": page, "per_page": per_page, "total": pagination.total}
    return list(pagination.items), meta, _link_header(page, per_page, pagination.total)


def paginate_rows(query):
    """As ``paginate`` for a select of several columns: the page's rows."""
    page, per_page = _page_args()
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    meta = {"page": page, "per_page": per_page, "total": total}
    return rows, meta, _link_header(page, per_page, total)


def _page_args() -> tuple[int, int]:
    """(page, per_page) asked by the query string; 400 when out of range."""
    page = query_arg("page", "integer")
    per_page = query_arg("per_page", "integer")
    page = 1 if page is None else page
    per_page = DEFAULT_PER_PAGE if per_page is None else per_page
    if page < 1 or page > MAX_PAGE:
        raise ApiError(400, _("Give a page from 1 to %(max)d.", max=MAX_PAGE),
                       fields={"page": _("Give a page from 1 to %(max)d.", max=MAX_PAGE)})
    if not 1 <= per_page <= MAX_PER_PAGE:
        message = _("Give per_page from 1 to %(max)d.", max=MAX_PER_PAGE)
        raise ApiError(400, message, fields={"per_page": message})
    return page, per_page


def _link_header(page: int, per_page: int, total: int) -> str:
    last = max(1, math.ceil(total / per_page))
    args = {key: value for key, value in request.args.items() if key not in ("page",)}
    args["per_page"] = per_page

    def url(number: int) -> str:
        return f"{request.base_url}?{urlencode({**args, 'page': number})}"

    links = [f'<{url(1)}>; rel="first"', f'<{url(last)}>; rel="last"']
    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
    if 1 < page <= last + 1:
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    return ", ".join(links)


def page_response(items: list, meta: dict, link: str):
    response = jsonify({"data": items, "meta": meta})
    response.headers["Link"] = link
    return response


def data_response(obj: dict, status: int = 200, **extra):
    response = jsonify({"data": obj, **extra})
    response.status_code = status
    return response
