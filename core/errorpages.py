"""Error pages that need nothing the failure may have taken away.

When the database is unreachable, everything that makes a normal page (the
session, the user, the inbox count in the context processors) fails again
while the error page renders, and Django retries its handler at every
middleware layer: once measured, 1,950 log lines per request. Here the error
pages are static templates rendered without a request (so no context
processor runs and nothing queries), a database outage answers 503 with
``Retry-After``, and each failed request writes one log line.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

logger = logging.getLogger("core.errorpages")

DATABASE_ERRORS = (OperationalError, InterfaceError)


def _static_page(template_name: str, status: int) -> HttpResponse:
    # No request, so no RequestContext and no context processor: nothing here
    # reads the session, the user or the database.
    body = loader.get_template(template_name).render()
    response = HttpResponse(
        body, status=status, content_type="text/html; charset=utf-8"
    )
    # Django logs a 5xx response it made from an exception; ours is logged once
    # below, in one line, so the log stays readable while the outage lasts.
    response._has_been_logged = True
    return response


def database_outage_response(request, exc: BaseException) -> HttpResponse:
    logger.error(
        "database unavailable, answered 503: %s %s (%s: %s)",
        request.method,
        request.path,
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    response = _static_page("503.html", 503)
    response["Retry-After"] = str(settings.XST_OUTAGE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request) -> HttpResponse:
    """handler500: a static page; 503 when the cause is the database."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DATABASE_ERRORS):
        return database_outage_response(request, exc)
    logger.error(
        "server error: %s %s", request.method, request.path, exc_info=exc is not None
    )
    return _static_page("500.html", 500)


class DatabaseOutageMiddleware:
    """Outermost: a view that finds the database gone answers 503 at once.

    Errors raised by the session or authentication middleware while they read
    the database are turned into responses where they happen, by
    ``server_error`` (handler500), which answers the same way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_outage_response(request, exception)
        return None
