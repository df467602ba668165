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


@register.inclusion_tag("dossier/card.html", takes_context=True)
def dossier_card(context, topic):
    """The topic page's 一事一档 card, for users who may export it."""
    from dossier.models import DossierExport, ExportStatus
    from dossier.permissions import can_export

    user = context["request"].user
    if not can_export(user, topic):
        return {"show": False}
    latest = (
        DossierExport.objects.filter(topic=topic, status=ExportStatus.DONE)
        .order_by("-head_count")
        .first()
    )
    request = context["request"]
    return {"show": True, "topic": topic, "latest": latest, "request": request}
