"""The part a co-host plays ("Host", "Co-host", ...), shown in the reader's language.

Rules: a co-host's role is free text typed by the organizer. The usual roles, typed in English
or Indonesian in any case, are shown in the reader's language (an Indonesian page says "Tuan
rumah" for "Host"); any other text is shown exactly as typed.
"""

from flask_babel import lazy_gettext as _l

_HOST, _CO_HOST = _l("Host"), _l("Co-host")
_SUPPORTED_BY, _PARTNER, _ORGANISER = _l("Supported by"), _l("Partner"), _l("Organiser")

#: the usual roles, as typed (casefolded, in English or Indonesian) -> their translatable label
STANDARD_ROLES = {
    "host": _HOST, "tuan rumah": _HOST,
    "co-host": _CO_HOST, "cohost": _CO_HOST, "co host": _CO_HOST,
    "tuan rumah bersama": _CO_HOST,
    "supported by": _SUPPORTED_BY, "didukung oleh": _SUPPORTED_BY,
    "partner": _PARTNER, "mitra": _PARTNER,
    "organiser": _ORGANISER, "organizer": _ORGANISER, "penyelenggara": _ORGANISER,
}


def cohost_role_label(role: str | None) -> str:
    """``role`` in the current language when it is one of the usual roles, else as typed."""
    text = " ".join((role or "").split())
    label = STANDARD_ROLES.get(text.casefold())
    return str(label) if label is not None else text
