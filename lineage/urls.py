from django.urls import path

from lineage import views

app_name = "lineage"

urlpatterns = [
    path("", views.namespace_list, name="namespace-list"),
    path("namespaces/", views.namespace_list),
    path("jobs/", views.job_list, name="job-list"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("datasets/<int:pk>/", views.dataset_detail, name="dataset-detail"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run-detail"),
    path("search/", views.search, name="search"),
    path("lineage/", views.lineage_graph, name="graph"),
]
