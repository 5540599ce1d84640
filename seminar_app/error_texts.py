"""The title and explanation of each HTTP error, in the visitor's language (pages and API)."""

from flask_babel import lazy_gettext as _l

ERROR_TEXTS = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("The page you asked for does not exist or has been moved.")),
    405: (_l("Method not allowed"), _l("This address does not accept this kind of request.")),
    409: (
        _l("Conflict"),
        _l("The change clashes with the current state. Please reload and try again."),
    ),
    413: (
        _l("Too large"),
        _l("What you sent is too large. Please send less data or a smaller file."),
    ),
    429: (
        _l("Too many requests"),
        _l("You have made too many requests. Please wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred. It has been logged; please try again later."),
    ),
}
