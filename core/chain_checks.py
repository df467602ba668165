"""System checks for the audit keys: malformed keys stop the start, not a write."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .chain_keys import AuditKeyError, parse_keys


@register()
def audit_keys_parse(app_configs, **kwargs):
    raw = getattr(settings, "XST_AUDIT_KEYS", "")
    if not raw:
        return []
    try:
        parse_keys(raw)
    except AuditKeyError as error:
        return [
            Error(
                f"XST_AUDIT_KEYS is malformed: {error}",
                hint='Give keys as "id:secret,id:secret", the current key first.',
                id="core.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def audit_keys_set(app_configs, **kwargs):
    if getattr(settings, "XST_AUDIT_KEYS", ""):
        return []
    return [
        Warning(
            "XST_AUDIT_KEYS is not set: the audit chain is sealed with the "
            "public development key, so anyone with database access can rewrite it.",
            hint="Set XST_AUDIT_KEYS (README, 审计链).",
            id="core.W001",
        )
    ]
