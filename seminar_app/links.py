"""Absolute links for emails, PDFs and calendar files, also outside a request.

In production they start with BASE_URL (required there); in development they follow the
address being served, so ``PORT=5093 make run`` emails links to port 5093.
"""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def link_base_url() -> str:
    """The address emailed links start with: BASE_URL when set; else (development) the address
    of the current request, else the one ``flask serve`` listens on (SERVED_URL)."""
    configured = (current_app.config.get("BASE_URL") or "").strip()
    if configured:
        return configured
    if has_request_context():
        return request.host_url
    return current_app.config.get("SERVED_URL") or "http://127.0.0.1:5000"


def external_url(endpoint: str, **values) -> str:
    """An absolute URL for ``endpoint`` under link_base_url(), also outside a request."""
    base = urlsplit(link_base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)
