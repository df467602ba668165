from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TopicsConfig(AppConfig):
    name = "topics"
    # The section, as in the navigation ("Topics"); one topic is the model's
    # verbose_name ("Topic").
    verbose_name = pgettext_lazy("section", "协商议题")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        import topics.audit_jobs  # noqa: F401  (registers the audit checks)
        from core.audit import register_verbs

        from . import deadlines, dossier, evidence, transition_messages
        from .services import ACTIONS

        evidence.provide_step_one()
        dossier.register_own()
        register_verbs(
            {
                "create": _("创建议题"),
                "edit": _("修改议题"),
                "demo_seed": _("演示数据导入"),
                **{name: action.label for name, action in ACTIONS.items()},
            }
        )
        deadlines.register()
        transition_messages.connect()
