from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("<int:delivery_id>/read/", views.mark_read, name="mark_read"),
    path("<int:delivery_id>/ics/", views.ics, name="ics"),
    path("<int:notification_id>/print/", views.print_notice, name="print"),
    path("receipts/<int:delivery_id>/", views.record_receipt, name="receipt"),
    path(
        "about/<slug:label>/<int:pk>/",
        views.subject_deliveries,
        name="subject_deliveries",
    ),
    # The topic page links here by this name.
    path("topic/<int:topic_id>/", views.topic_deliveries, name="topic_deliveries"),
]
