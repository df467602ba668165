"""What every page may need from consult: whether the user takes part in a topic.

The navigation and the dashboard link to the participant's own page only for
participants; topics must not import consult, so the answer comes from here.
"""

from django.utils.functional import SimpleLazyObject

from . import selectors


def participation(request):
    """The ids of the topics the user takes part in, read at most once a page
    and only when a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "participant_topic_ids": SimpleLazyObject(
            lambda: selectors.participant_topic_ids(user)
        )
    }
