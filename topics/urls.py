from django.urls import path

from . import views

app_name = "topics"
urlpatterns = [
    path("", views.topic_list, name="list"),
    path("new/", views.topic_create, name="create"),
    path("<int:pk>/", views.topic_detail, name="detail"),
    path("<int:pk>/edit/", views.topic_edit, name="edit"),
    path("<int:pk>/act/<slug:action>/", views.topic_act, name="act"),
]
