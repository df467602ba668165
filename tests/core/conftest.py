import pytest


@pytest.fixture(autouse=True)
def _audit_heads_in_tmp(settings, tmp_path):
    """Signed digests go to a fresh directory per test, never the checkout."""
    settings.XST_AUDIT_HEADS_DIR = tmp_path / "audit-heads"
    settings.XST_AUDIT_KEYS = ""
