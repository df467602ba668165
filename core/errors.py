"""Domain errors that services raise; views decide the status code.

A service runs in a request, a Celery task or a management command alike, so it
never raises ``Http404``: it raises ``NotVisible`` and the middleware turns that
into a 404 for pages. Refused permissions are Django's ``PermissionDenied`` and
invalid input is ``ValidationError``; both already mean nothing HTTP-specific.
"""


class NotVisible(Exception):
    """The actor may not see the object (or it does not exist): a page answers 404."""


class Conflict(Exception):
    """The object's state does not allow the change now; ``message`` is for the user."""

    def __init__(self, message: str = ""):
        super().__init__(message)
        self.message = message


class Sealed(Conflict):
    """The topic is archived: its records can no longer change."""


class StepClosed(Conflict):
    """The record belongs to a step the topic has already left."""
