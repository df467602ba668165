"""The topic list's filters: state, place and category."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .catalogue import Category
from .models import Topic
from .selectors import visible_places
from .states import State


def _places(request):
    return visible_places(request.user)


# The project's own wording instead of Django's "选择一个有效的选项…".
_INVALID = {"invalid_choice": _("所选的筛选条件无效，请重新选择。")}


class TopicFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        label=_("状态"),
        choices=State.choices,
        empty_label=_("全部状态"),
        error_messages=_INVALID,
    )
    place = django_filters.ModelChoiceFilter(
        label=_("地方"),
        queryset=_places,
        empty_label=_("全部地方"),
        error_messages=_INVALID,
    )
    category = django_filters.ChoiceFilter(
        label=_("议题类别"),
        choices=Category.choices,
        empty_label=_("全部类别"),
        error_messages=_INVALID,
    )

    class Meta:
        model = Topic
        fields = ["state", "place", "category"]
