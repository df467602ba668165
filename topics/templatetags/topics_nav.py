"""What the navigation offers: each role sees only the sections it can use."""

from django import template

from committees import roles
from committees.permissions import place_perms

register = template.Library()


@register.filter
def sees_topics(user) -> bool:
    """Whether the user may see any topic (residents and members may not).

    Reads the user's place permissions once per request (they are cached on
    the user), so the menu costs no query beyond the page's own.
    """
    held = set().union(*place_perms(user).values())
    return bool(held & {roles.VIEW, roles.VIEW_VILLAGES})
