from .selectors import unread_count


def inbox(request):
    """The unread count for the page header, counted lazily when rendered."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"inbox_unread": lambda: unread_count(user)}
