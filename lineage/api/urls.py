from django.urls import path

from lineage.api import graph, ingest, views

app_name = "lineage-api"

urlpatterns = [
    path("lineage", views.LineageEndpoint.as_view(), name="lineage"),
    path(
        "lineage/batch",
        ingest.LineageBatchEndpoint.as_view(),
        name="lineage-batch",
    ),
    path(
        "column-lineage",
        graph.ColumnLineageEndpoint.as_view(),
        name="column-lineage",
    ),
]
