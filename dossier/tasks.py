"""Thin Celery wrappers: the dossier services do the work; tasks take ids."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def build_dossier(export_id: int) -> None:
    services.dossier_build(export_id)


@shared_task(acks_late=True, soft_time_limit=3600, time_limit=3700)
def build_bulk(bulk_id: int) -> None:
    services.bulk_build(bulk_id)
