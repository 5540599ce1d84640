"""Domain errors raised by services, each carrying a message already translated for the user."""


class ServiceError(Exception):
    """A rule refused the request; ``message`` is shown to the user as is.

    ``field`` names the form field the message belongs to, when there is one.
    """

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(ServiceError):
    """The current user may not do this."""

    status_code = 403


class NotFound(ServiceError):
    """The object does not exist, or is not visible to the current user."""

    status_code = 404


class Conflict(ServiceError):
    """The change clashes with existing data (a slug taken, a state that does not allow it)."""

    status_code = 409
