from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TopicsConfig(AppConfig):
    name = "topics"
    verbose_name = _("协商议题")

    def ready(self) -> None:
        from . import checks, evidence

        evidence.provide_step_one()
        checks.register()
