from datetime import timedelta

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("通知与提醒")

    def ready(self) -> None:
        from . import periodic, services

        periodic.register_check(
            "notifications.requeue_stale",
            lambda now: services.requeue_stale(now=now),
            description=_("重新发送滞留的通知"),
            every=timedelta(minutes=5),
        )
        periodic.register_check(
            "notifications.digest",
            lambda now: services.digest_send(now=now),
            description=_("发送每日消息汇总"),
            crontab={"minute": "0", "hour": "18"},
        )
        # post_migrate from this app fires once per migrate, after every
        # app's tables (django_celery_beat's among them) exist.
        post_migrate.connect(
            periodic.sync_on_post_migrate,
            sender=self,
            dispatch_uid="notifications.periodic.sync",
        )
