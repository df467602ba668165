"""The site language: Simplified Chinese unless the user picked another one."""

from django import db
from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_vary_headers

from .errors import NotVisible


class SiteLanguageMiddleware:
    """Like LocaleMiddleware, but the browser's Accept-Language is not consulted.

    Township offices often run browsers set to English; the product speaks
    Chinese by default, and the language switch (a cookie) is the only way to
    change it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class DomainErrorMiddleware:
    """Pages answer 404 for ``NotVisible``, whichever service raised it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotVisible):
            raise Http404 from exception
        return None


class PrivateCacheMiddleware:
    """Nothing shown to a logged-in user is kept by a browser or a proxy.

    Township offices share computers and sit behind proxies: a page or file
    served to an account must not be replayed from a cache to the next user.
    Anonymous pages (the public 公示) keep whatever caching they chose.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        try:
            private = user is not None and user.is_authenticated
        except db.Error:
            # The database is down (the outage page is being served): whose
            # response this is cannot be told, so nobody may keep it.
            private = True
        if private:
            response.headers["Cache-Control"] = "private, no-store"
            response.headers.pop("Expires", None)
        return response
