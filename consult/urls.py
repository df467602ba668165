from django.urls import path

from . import session_views, views

app_name = "consult"
urlpatterns = [
    path("mine/", views.mine, name="mine"),
    path("topics/<int:topic_id>/prepare/", views.prepare, name="prepare"),
    path("topics/<int:topic_id>/sessions/", session_views.sessions, name="sessions"),
    path("topics/<int:topic_id>/sessions/add/", views.session_add, name="session_add"),
    path("topics/<int:topic_id>/roster/", views.roster_add, name="roster_add"),
    path("topics/<int:topic_id>/person/", views.person_add, name="person_add"),
    path(
        "topics/<int:topic_id>/participant/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path("topics/<int:topic_id>/gap/", views.gap_explain, name="gap_explain"),
    path(
        "topics/<int:topic_id>/notices/",
        views.meeting_notice_send,
        name="meeting_notice_send",
    ),
    path(
        "topics/<int:topic_id>/notices/receipt/",
        views.meeting_notice_receipt,
        name="meeting_notice_receipt",
    ),
    path(
        "topics/<int:topic_id>/materials/",
        views.material_upload,
        name="material_upload",
    ),
    path(
        "topics/<int:topic_id>/materials/send/",
        views.material_send,
        name="material_send",
    ),
    path("topics/<int:topic_id>/pre-opinion/", views.pre_opinion, name="pre_opinion"),
    path(
        "materials/<int:version_id>/download/",
        views.material_download,
        name="material_download",
    ),
    path(
        "photos/<int:photo_id>/download/", views.photo_download, name="photo_download"
    ),
    path("sessions/<int:session_id>/", session_views.session_detail, name="session"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session_edit"),
    path(
        "sessions/<int:session_id>/attendance/",
        session_views.attendance,
        name="attendance",
    ),
    path(
        "sessions/<int:session_id>/record/", session_views.session_record, name="record"
    ),
    path(
        "sessions/<int:session_id>/opinion/",
        session_views.opinion_add,
        name="opinion_add",
    ),
    path("sessions/<int:session_id>/photo/", session_views.photo_add, name="photo_add"),
    path(
        "sessions/<int:session_id>/written/send/",
        session_views.written_send,
        name="written_send",
    ),
    path(
        "sessions/<int:session_id>/written/answer/",
        session_views.written_answer,
        name="written_answer",
    ),
    path("sessions/<int:session_id>/close/", session_views.session_close, name="close"),
    path("sessions/<int:session_id>/comment/", session_views.comment, name="comment"),
    path("sessions/<int:session_id>/hide/", session_views.opinion_hide, name="hide"),
]
