from django.urls import path

from . import views

app_name = "dossier"

urlpatterns = [
    path("topics/<int:topic_id>/export/", views.export, name="export"),
    path("exports/<int:export_id>/", views.export_status, name="status"),
    path("exports/<int:export_id>/download/", views.download, name="download"),
    path("bulk/", views.bulk, name="bulk"),
    path("bulk/<int:bulk_id>/", views.bulk_status, name="bulk_status"),
    path("bulk/<int:bulk_id>/download/", views.bulk_download, name="bulk_download"),
    path("verify/", views.verify, name="verify"),
]
