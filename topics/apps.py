from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TopicsConfig(AppConfig):
    name = "topics"
    # The section, as in the navigation ("Topics"); one topic is the model's
    # verbose_name ("Topic").
    verbose_name = pgettext_lazy("section", "协商议题")

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core.audit import register_verbs
        from core.chain_records import register_subject

        from . import dossier, evidence, transition_messages
        from .jobs import audit, deadlines  # noqa: F401  (audit registers on import)
        from .models import Topic
        from .services import ACTIONS, EDITABLE_FIELDS

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
        # After archive a topic takes only an appended note (feedback's);
        # the demo's seeded history vouches for the records it imported.
        register_subject(
            Topic,
            state_field="state",
            fields=EDITABLE_FIELDS,
            seal_verb="archive",
            after_seal={"note_append"},
            history_verbs={"demo_seed"},
        )
        deadlines.register()
        transition_messages.connect()
