"""Pages of the dossier: export with progress, download, bulk export, verify."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from committees import roles
from committees.models import Place
from committees.permissions import places_with_perm
from core.errors import NotVisible
from core.uploads import file_response
from topics import permissions as topic_perm
from topics.models import Topic

from . import services
from .forms import BulkForm, VerifyForm
from .models import ExportStatus
from .pdf import DossierError
from .verify import Unreadable, explain, verify_pdf


@login_required
@require_POST
def export(request, topic_id: int):
    try:
        item = services.dossier_request(actor=request.user, topic_id=topic_id)
    except PermissionDenied:
        raise NotVisible from None
    except DossierError as error:
        return render(
            request, "dossier/failed.html", {"message": str(error)}, status=503
        )
    return redirect("dossier:status", export_id=item.pk)


@login_required
def export_status(request, export_id: int):
    item = services.export_visible(request.user, export_id)
    running = item.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    return render(request, "dossier/status.html", {"export": item, "running": running})


@login_required
def download(request, export_id: int):
    item = services.export_visible(request.user, export_id)
    if item.status != ExportStatus.DONE:
        raise NotVisible
    return file_response(item.file, name=item.filename, content_type="application/pdf")


def _export_places(user):
    ids = places_with_perm(user, roles.EXPORT)
    return Place.objects.filter(pk__in=ids) | Place.objects.filter(parent_id__in=ids)


@login_required
def bulk(request):
    places = _export_places(request.user).order_by("kind", "code")
    if not places.exists():
        raise NotVisible
    form = BulkForm(request.POST or None, places=places)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                item = services.bulk_request(
                    actor=request.user,
                    place=form.cleaned_data["place"],
                    year=form.cleaned_data["year"],
                )
            except ValidationError as invalid:
                for field, errors in invalid.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            except DossierError as error:
                form.add_error(None, str(error))
                status = 503
            else:
                return redirect("dossier:bulk_status", bulk_id=item.pk)
        if status == 200:
            status = 400
    return render(request, "dossier/bulk.html", {"form": form}, status=status)


@login_required
def bulk_status(request, bulk_id: int):
    item = services.bulk_visible(request.user, bulk_id)
    running = item.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)
    return render(
        request, "dossier/bulk_status.html", {"bulk": item, "running": running}
    )


@login_required
def bulk_download(request, bulk_id: int):
    item = services.bulk_visible(request.user, bulk_id)
    if item.status != ExportStatus.DONE:
        raise NotVisible
    return file_response(item.file, name=item.filename, content_type="application/zip")


def verify(request):
    """Anyone may learn match or not; who may see the topic learns why."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    context = {"form": form}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                result = verify_pdf(form.cleaned_data["file"].read())
            except Unreadable as error:
                form.add_error("file", str(error))
            else:
                status = 200
                topic = Topic.objects.filter(pk=result.stamp.topic_id).first()
                may_see = (
                    topic is not None
                    and request.user.is_authenticated
                    and topic_perm.can_view(request.user, topic)
                )
                context.update(
                    result=result,
                    topic=topic if may_see else None,
                    lines=explain(result) if may_see else [],
                )
    return render(request, "dossier/verify.html", context, status=status)
