from datetime import timedelta

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知与提醒")

    def ready(self) -> None:
        from django.conf import settings

        from core.audit import register_verbs

        from . import checks, delivery, jobs, tasks  # noqa: F401 (checks)

        register_verbs({"receipt_record": _("登记纸质通知签收")})
        jobs.register_job(
            "notifications.requeue_stale",
            lambda now: tasks.requeue_stale(now=now),
            description=_("重新发送滞留的通知"),
            # As often as the sweep's own delay: a row is picked up at most
            # two delays after it was stranded.
            every=timedelta(seconds=settings.XST_DELIVERY_SWEEP_DELAY),
        )
        jobs.register_job(
            "notifications.digest",
            lambda now: delivery.digest_send(now=now),
            description=_("发送每日消息汇总"),
            crontab={"minute": "0", "hour": "18"},
        )
        # post_migrate from this app fires once per migrate, after every
        # app's tables (django_celery_beat's among them) exist.
        post_migrate.connect(
            jobs.sync_on_post_migrate,
            sender=self,
            dispatch_uid="notifications.jobs.sync",
        )
