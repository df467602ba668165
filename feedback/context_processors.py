"""What every page may need from feedback: whether the user is responsible for
a task, so the navigation links to their own task page."""

from django.utils.functional import SimpleLazyObject

from .models import Task


def responsibility(request):
    """Read at most once a page and only when a template asks."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "has_own_tasks": SimpleLazyObject(
            lambda: Task.objects.filter(responsible__user=user).exists()
        )
    }
