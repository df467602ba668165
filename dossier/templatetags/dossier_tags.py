"""Template tags of the dossier's sections."""

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def dossier_image(images: dict, model: str, pk: int):
    """The stored image scaled to the page, or why it cannot be shown."""
    image = images.get((model, pk))
    if image is None:
        return ""
    if image["uri"]:
        return format_html('<img src="{}" alt="{}">', image["uri"], image["entry"].name)
    return format_html(
        '<p class="missing">{}：{}</p>', image["problem"], image["entry"].name
    )
