from django.urls import path

from lineage.api import graph, ingest, resources, views

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
    path("namespaces", resources.NamespaceListView.as_view(), name="namespace-list"),
    # Namespaces and names hold '/' and ':', so the rest of the path is parsed
    # by the view (see lineage.api.resources).
    path(
        "namespaces/<path:rest>",
        resources.NamespacePathView.as_view(),
        name="namespace-path",
    ),
    path("jobs", resources.JobListView.as_view(), name="job-list"),
    path("jobs/runs/<str:run_id>", resources.RunView.as_view(), name="run-detail"),
    path("jobs/<int:pk>", resources.JobByPkView.as_view(), name="job-detail"),
    path("datasets", resources.DatasetListView.as_view(), name="dataset-list"),
    path(
        "datasets/<int:pk>", resources.DatasetByPkView.as_view(), name="dataset-detail"
    ),
]
