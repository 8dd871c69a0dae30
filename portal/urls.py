from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views

urlpatterns = [
    path("health", core_views.health, name="health"),
    # TODO: failed logins are not throttled yet.
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/catalog/", include("catalog.api.urls")),
    path("api/v1/", include("lineage.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("catalog/", include("catalog.urls")),
    path("", include("lineage.urls")),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
