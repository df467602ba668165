"""System checks: links in email and SMS need the site's own address."""

from django.apps import apps
from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def site_url_set(app_configs, **kwargs):
    """Warn (``check --deploy``) when notices could only carry relative links."""
    if settings.XST_SITE_URL or apps.is_installed("django.contrib.sites"):
        return []
    return [
        Warning(
            "XST_SITE_URL is not set: links in email, SMS and calendar files "
            "would be relative paths that no mail client or phone can open.",
            hint="Set XST_SITE_URL to the site's address, e.g. "
            "https://xst.example.gov.cn (deploy/production.env.example).",
            id="notifications.W001",
        )
    ]
