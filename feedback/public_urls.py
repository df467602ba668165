"""公示 pages for residents without an account, at stable addresses."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("", public_views.public_list, name="public_notices"),
    path(
        "topic/<int:topic_id>/",
        public_views.public_topic_notices,
        name="public_topic_notices",
    ),
    path("<uuid:public_id>/", public_views.public_notice, name="public_notice"),
    path(
        "<uuid:public_id>/print/",
        public_views.public_notice_print,
        name="public_notice_print",
    ),
    path(
        "<uuid:public_id>/respond/",
        public_views.public_notice_respond,
        name="public_notice_respond",
    ),
    path(
        "<uuid:public_id>/files/<int:attachment_id>/",
        public_views.public_notice_file,
        name="public_notice_file",
    ),
]
