from django.urls import path

from lineage.api import views

app_name = "lineage-api"

urlpatterns = [
    path("lineage", views.LineageEndpoint.as_view(), name="lineage"),
]
