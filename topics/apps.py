from django.apps import AppConfig
from django.utils.translation import pgettext_lazy


class TopicsConfig(AppConfig):
    name = "topics"
    # The section, as in the navigation ("Topics"); one topic is the model's
    # verbose_name ("Topic").
    verbose_name = pgettext_lazy("section", "协商议题")

    def ready(self) -> None:
        from . import checks, evidence

        evidence.provide_step_one()
        checks.register()
