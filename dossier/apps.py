from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossierConfig(AppConfig):
    name = "dossier"
    verbose_name = _("一事一档")

    def ready(self) -> None:
        from core.audit import register_verbs

        from . import services

        register_verbs(
            {
                "dossier_export": _("导出一事一档"),
            }
        )
        services.connect()
