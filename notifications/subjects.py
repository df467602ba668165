"""What a notice can be about: a registry the apps above fill in ready().

A notice points at its subject generically (content type + id), so this app
knows no app above it. An app whose records get notices registers the model
once, saying at which place the record lives (the permission gate asks the
place) and which page shows it::

    register_subject("topic", Topic, place_of=lambda t: t.place_id,
                     page_url=lambda t: reverse("topics:detail", args=[t.pk]))

The delivery page of a subject is then ``notifications:subject_deliveries``
with that label and the record's id.

A subject whose records keep one audit chain for a larger whole (a topic's
covers every record of the topic) also gives ``write``: a context-manager
factory that takes the subject record, locks the record whose chain is meant
(or refuses, e.g. ``core.errors.Sealed`` for an archived topic) and yields it.
A write this app makes about such a subject (a paper receipt) runs inside it
and appends its audit event to that owner's chain, naming its own row::

    register_subject("topic", Topic, ..., write=lambda t: topic_write(t.pk))

Without ``write`` the row this app writes keeps its own chain.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

from django.db import models
from django.urls import reverse


@dataclass(frozen=True)
class Subject:
    label: str
    model: type[models.Model]
    place_of: Callable[[models.Model], int | None]
    page_url: Callable[[models.Model], str]
    select_related: tuple[str, ...] = field(default_factory=tuple)
    url_name: str = ""
    write: Callable[[models.Model], AbstractContextManager[models.Model]] | None = None

    def deliveries_url(self, record: models.Model) -> str:
        """The delivery page of the record: its own URL name, or the generic one."""
        if self.url_name:
            return reverse(self.url_name, args=[record.pk])
        return reverse("notifications:subject_deliveries", args=[self.label, record.pk])

    def get(self, pk: int) -> models.Model | None:
        queryset = self.model._default_manager.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        return queryset.filter(pk=pk).first()


_BY_LABEL: dict[str, Subject] = {}


def register_subject(
    label: str,
    model: type[models.Model],
    *,
    place_of: Callable[[models.Model], int | None],
    page_url: Callable[[models.Model], str],
    select_related: tuple[str, ...] = (),
    url_name: str = "",
    write: Callable[[models.Model], AbstractContextManager[models.Model]] | None = None,
) -> None:
    """Make ``model`` a notice subject under ``label`` (a URL segment).

    ``url_name`` names a delivery page of its own, taking the record's id,
    when links to it already exist (``notifications:topic_deliveries``).
    ``write`` locks the owner of the audit chain that writes about a record
    of the subject append to (see the module's docstring).
    """
    existing = _BY_LABEL.get(label)
    if existing is not None and existing.model is not model:
        raise ValueError(f"notice subject {label!r} is already registered")
    _BY_LABEL[label] = Subject(
        label, model, place_of, page_url, select_related, url_name, write
    )


def subject_by_label(label: str) -> Subject | None:
    return _BY_LABEL.get(label)


def subject_of(record: models.Model | None) -> Subject | None:
    if record is None:
        return None
    model = record._meta.concrete_model
    return next((s for s in _BY_LABEL.values() if s.model is model), None)
