"""The keys that seal the audit chain, read from settings at call time.

``XST_AUDIT_KEYS`` is ``"id:secret,id:secret"``: the first key seals new events
and signs new digests; the others only verify what they sealed before a
rotation. The secret is used as given (its UTF-8 bytes), so a base64 string
from ``openssl rand -base64 32`` is fine. Keys never go into the database:
events store only the key id.
"""

from django.conf import settings

# Development and tests only: README “审计链” says how production sets its own.
DEV_KEYS = "dev:xst-development-audit-key-not-for-production"
LEGACY_KEY_ID = ""


class UnknownAuditKey(LookupError):
    """An event or digest names a key id that is not configured."""


class AuditKeyError(ValueError):
    """``XST_AUDIT_KEYS`` is malformed."""


def parse_keys(raw: str) -> list[tuple[str, bytes]]:
    keys: list[tuple[str, bytes]] = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        key_id, sep, secret = part.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not sep or not key_id or not secret:
            raise AuditKeyError("XST_AUDIT_KEYS entries look like id:secret")
        if len(key_id) > 32:
            raise AuditKeyError(f"audit key id {key_id!r} is longer than 32")
        if any(known == key_id for known, _secret in keys):
            raise AuditKeyError(f"audit key id {key_id!r} is given twice")
        keys.append((key_id, secret.encode("utf-8")))
    if not keys:
        raise AuditKeyError("XST_AUDIT_KEYS holds no key")
    return keys


def configured_keys() -> list[tuple[str, bytes]]:
    return parse_keys(getattr(settings, "XST_AUDIT_KEYS", "") or DEV_KEYS)


def current_key_id() -> str:
    return configured_keys()[0][0]


def audit_key(key_id: str) -> bytes:
    for known, secret in configured_keys():
        if known == key_id:
            return secret
    raise UnknownAuditKey(key_id)
