"""The site language, the size of a request, and domain errors as pages."""

from django import db
from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

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


def _refused(message: str, status: int) -> HttpResponse:
    # Rendered without the request: no session or user has been read yet.
    body = loader.get_template("request_refused.html").render({"message": message})
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


class RequestSizeMiddleware:
    """Refuse a request too big for the site before its body is read.

    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count files, so without this a
    post of many large files is accepted whole; the declared length is
    checked against ``XST_REQUEST_MAX_BYTES`` (nginx's
    ``client_max_body_size``), and the form is parsed here, so too many files
    (``DATA_UPLOAD_MAX_NUMBER_FILES``) or fields are answered with a page
    rather than the bare 400 of Django's parser. Nothing reaches a view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.XST_REQUEST_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            megabytes = f"{limit / 1048576:g}"
            return _refused(
                _("提交的内容过大：一次最多提交 %(mb)s MB，请分几次上传。")
                % {"mb": megabytes},
                413,
            )
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 - parsing is the check
            except TooManyFilesSent:
                return _refused(
                    _("一次上传的文件过多：最多 %(n)d 个，请分几次上传。")
                    % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
                    400,
                )
            except TooManyFieldsSent:
                return _refused(_("提交的内容项过多。"), 400)
            except RequestDataTooBig:
                return _refused(_("提交的文字内容过多。"), 413)
        return self.get_response(request)


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
