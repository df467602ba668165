import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def refuse_development_key() -> None:
    """A production site (DEBUG off) does not start on the published key."""
    if not settings.DEBUG and settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: a site with DEBUG off refuses to start "
            "on the development key (README, 正式部署)."
        )


application = get_wsgi_application()
refuse_development_key()
