from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("审计")

    def ready(self) -> None:
        from . import chain_checks  # noqa: F401  (registers the system checks)
