from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.forms import LoginForm
from topics import views as topic_views

from . import views

urlpatterns = [
    path("", topic_views.dashboard, name="dashboard"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz/", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("topics/", include("topics.urls")),
    path("notices/", include("notifications.urls")),
    path("consult/", include("consult.urls")),
    path("feedback/", include("feedback.urls")),
    path("gongshi/", include("feedback.public_urls")),
    path("dossier/", include("dossier.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "topics.views.not_found"
# Static, without the request's context processors: it must render while the
# database is down (core/errorpages.py).
handler500 = "core.errorpages.server_error"
