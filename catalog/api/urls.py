from django.urls import path

from catalog.api import contracts

app_name = "catalog-api"

PORT = "products/<slug:slug>/ports/<int:port_id>"

urlpatterns = [
    path(
        f"{PORT}/contracts",
        contracts.ContractListView.as_view(),
        name="contract-list",
    ),
    path(
        f"{PORT}/contracts/<str:version>",
        contracts.ContractDetailView.as_view(),
        name="contract-detail",
    ),
    path(
        f"{PORT}/violations",
        contracts.ViolationListView.as_view(),
        name="violation-list",
    ),
    path(
        "contract-check",
        contracts.ContractCheckView.as_view(),
        name="contract-check",
    ),
]
