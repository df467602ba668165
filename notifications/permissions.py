"""The one gate of the notices app: who may see a subject's deliveries.

The inbox needs no gate (a person sees only their own rows, by query). The
delivery page, printing paper notices and recording their receipts belong to
whoever runs the subject's place (``run_topics``); a notice about nothing in
particular belongs to staff.
"""

from django.db import models

from committees import roles
from committees.permissions import has_place_perm

from .subjects import subject_of


def _active(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_manage_subject(user, record: models.Model | None) -> bool:
    """Whether the user may see and act on the notices about ``record``."""
    if not _active(user):
        return False
    if record is None:
        return bool(user.is_staff)
    subject = subject_of(record)
    if subject is None:
        return bool(user.is_staff)
    return has_place_perm(user, roles.RUN, subject.place_of(record))
