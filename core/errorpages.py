"""Error pages that need nothing the failure may have taken away.

When the database is unreachable, everything that makes a normal page (the
session, the user, the inbox count in the context processors) fails again
while the error page renders, and Django retries its handler at every
middleware layer: once measured, 1,950 log lines per request. Here the error
pages are static templates rendered without a request (so no context
processor runs and nothing queries), a database outage answers 503 with
``Retry-After``, and each failed request writes one log line.

A 404 or 403 is the site's own Chinese page even with DEBUG on (``make run``):
Django's debug 404 lists every URL pattern and its CSRF page explains Django,
neither of which is the product a new user came to try.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.urls import get_resolver
from django.utils.translation import gettext as _

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


def csrf_failure(request, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: most often a form left open past its session."""
    return render(
        request,
        "403.html",
        {"exception": _("页面已过期或来源无法核实，请刷新页面后重新提交。")},
        status=403,
    )


class DebugNotFoundMiddleware:
    """With DEBUG on, a 404 is answered by the site's handler404 as in production.

    Django turns an unknown address or a view's ``Http404`` into its technical
    page before any middleware sees the exception, so the response is replaced
    here. Placed outside CommonMiddleware, which may still turn the 404 into a
    redirect to the address with a slash. The debug 500 page stays.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404:
            resolver = get_resolver(getattr(request, "urlconf", None))
            return resolver.resolve_error_handler(404)(request, exception=None)
        return response
