"""Site-wide answers that need neither a user nor the database."""

from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico on every site; pages link static/favicon.svg."""
    icon = settings.BASE_DIR / "static" / "favicon.ico"
    return FileResponse(icon.open("rb"), content_type="image/x-icon")


@require_safe
def healthz(request):
    """The process answers: for the load balancer, and the load test's floor."""
    return HttpResponse("ok", content_type="text/plain")
