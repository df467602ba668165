from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("topics/<int:topic_id>/adopt/", views.adopt, name="adopt"),
    path(
        "topics/<int:topic_id>/adopt/disposition/",
        views.disposition,
        name="disposition",
    ),
    path(
        "topics/<int:topic_id>/adopt/compile/", views.compile_opinions, name="compile"
    ),
    path(
        "topics/<int:topic_id>/adopt/explanation/",
        views.explanation,
        name="explanation",
    ),
    path("topics/<int:topic_id>/adopt/decision/", views.decision, name="decision"),
    path("topics/<int:topic_id>/adopt/vote-mark/", views.vote_mark, name="vote_mark"),
    path("topics/<int:topic_id>/adopt/vote/", views.vote, name="vote"),
    path("topics/<int:topic_id>/implement/", views.implement, name="implement"),
    path("topics/<int:topic_id>/tasks/", views.task_create, name="task_create"),
    path("tasks/<int:task_id>/progress/", views.progress, name="progress"),
    path("tasks/<int:task_id>/close/", views.task_close, name="task_close"),
    path("tasks/<int:task_id>/supervise/", views.supervise, name="supervise"),
    path(
        "topics/<int:topic_id>/notices/",
        views.public_notice_create,
        name="public_notice_create",
    ),
    path(
        "notices/<int:notice_id>/withdraw/",
        views.public_notice_withdraw,
        name="public_notice_withdraw",
    ),
    path(
        "notices/<int:notice_id>/progress/",
        views.public_notice_cover_progress,
        name="public_notice_cover_progress",
    ),
    path(
        "notices/<int:notice_id>/photo/",
        views.public_notice_photo_add,
        name="public_notice_photo_add",
    ),
    path(
        "responses/<int:response_id>/answer/",
        views.response_answer,
        name="response_answer",
    ),
    path(
        "responses/<int:response_id>/spam/",
        views.response_spam,
        name="response_spam",
    ),
    path("tasks/mine/", views.my_tasks, name="my_tasks"),
    path("topics/<int:topic_id>/bulletin/", views.bulletin, name="bulletin"),
    path("topics/<int:topic_id>/note/", views.note, name="note"),
    path(
        "files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
]
