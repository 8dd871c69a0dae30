from django.urls import path

from lineage.api import ingest, views

app_name = "lineage-api"

urlpatterns = [
    path("lineage", views.LineageEndpoint.as_view(), name="lineage"),
    path(
        "lineage/batch",
        ingest.LineageBatchEndpoint.as_view(),
        name="lineage-batch",
    ),
]
