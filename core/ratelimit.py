"""Rate limits on what residents and members post, per account and per address.

A fixed window counted in Django's cache: the first request of a window adds
the key, the following ones increment it. Behind several gunicorn workers the
cache must be shared (a Redis or database cache) for the limit to be global.
"""

from functools import wraps

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _


def _over(key: str, limit: int, window: int) -> bool:
    if cache.add(key, 1, timeout=window):
        return limit < 1
    try:
        count = cache.incr(key)
    except ValueError:
        # Expired between add and incr: this request opens a new window.
        cache.add(key, 1, timeout=window)
        count = 1
    return count > limit


def limited(request, scope: str) -> bool:
    """Count this request; True when the account or the address is over its limit."""
    per_account, per_address, window = settings.XST_RATE_LIMITS[scope]
    user_id = request.user.pk if request.user.is_authenticated else "-"
    address = get_client_ip_address(request) or "-"
    # Both windows are counted, so a refused request still uses up the address.
    over_account = _over(f"rl:{scope}:u:{user_id}", per_account, window)
    over_address = _over(f"rl:{scope}:a:{address}", per_address, window)
    return over_account or over_address


def rate_limited(scope: str, *, exempt=None):
    """Refuse a POST over the limit with HTTP 429 before the view does anything.

    ``exempt(request, *args, **kwargs)`` spares who posts for others on the
    same URL (a clerk entering paper answers one after another)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if (
                request.method == "POST"
                and not (exempt and exempt(request, *args, **kwargs))
                and limited(request, scope)
            ):
                window = settings.XST_RATE_LIMITS[scope][2]
                return render(
                    request,
                    "429.html",
                    {
                        "message": _("提交过于频繁，请 %(minutes)d 分钟后再试。")
                        % {"minutes": max(1, window // 60)}
                    },
                    status=429,
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
