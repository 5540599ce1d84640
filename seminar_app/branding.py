"""Whose name users see: the installation's, the organisation's and an event's host.

The package name is never shown to users. Pages, emails and letters name the installation
(``SITE_NAME``, e.g. "Events of the Ministry of Foreign Affairs"), the organisation running it
(``ORGANISATION_NAME``, may be empty) and, where there is an event, the event's host (its first
co-host). The default site name is translated; a name set by the operator is shown as written.
"""

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: the site name used when the operator sets none (config.Config.SITE_NAME)
DEFAULT_SITE_NAME = "Seminar registration"
_DEFAULT_SITE_LABEL = _l("Seminar registration")


def site_name() -> str:
    """The installation's name in the current language (the default is translated)."""
    name = " ".join(str(current_app.config.get("SITE_NAME") or "").split())
    return str(_DEFAULT_SITE_LABEL) if name in ("", DEFAULT_SITE_NAME) else name


def product_name() -> str:
    """The installation's name as configured, untranslated: for names that must not change
    with the reader's language (the issuer authenticator apps show, a calendar's PRODID, the
    API document's title)."""
    return " ".join(str(current_app.config.get("SITE_NAME") or "").split()) or DEFAULT_SITE_NAME


def organisation_name() -> str:
    """The organisation running the installation, or ""."""
    return " ".join(str(current_app.config.get("ORGANISATION_NAME") or "").split())


def event_host(event=None) -> str:
    """The event's first co-host, else the organisation; "" when neither is known."""
    for cohost in getattr(event, "cohosts", None) or []:
        if (cohost.name or "").strip():
            return cohost.name.strip()
    return organisation_name()


def host_name(event=None) -> str:
    """Who a page, email or letter about ``event`` comes from: the event's first co-host,
    else the organisation, else the site's name."""
    return event_host(event) or site_name()


def email_footer(event=None) -> str:
    """The last line of every email, in the current language."""
    host = event_host(event)
    if host:
        return _("This email was sent by %(site)s on behalf of %(host)s.", site=site_name(),
                 host=host)
    return _("This email was sent by %(site)s, the events and seminars system of the "
             "organizers.", site=site_name())


def register_branding(app) -> None:
    """Make these names available to every template (pages and emails)."""
    app.jinja_env.globals.update(site_name=site_name, organisation_name=organisation_name,
                                 product_name=product_name,
                                 host_name=host_name, email_footer=email_footer)
