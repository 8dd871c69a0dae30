from django.urls import path

from catalog.api import (
    contracts,
    domains,
    features,
    owners,
    ports,
    products,
    search,
    sla,
    tags,
    trust,
)

app_name = "catalog-api"

PRODUCT = "products/<slug:slug>"
PORT = f"{PRODUCT}/ports/<int:port_id>"

urlpatterns = [
    path("domains", domains.DomainListView.as_view(), name="domain-list"),
    path(
        "domains/<slug:slug>",
        domains.DomainDetailView.as_view(),
        name="domain-detail",
    ),
    path(
        "domains/<slug:slug>/trust",
        trust.DomainTrustView.as_view(),
        name="domain-trust",
    ),
    path("tags", tags.TagListView.as_view(), name="tag-list"),
    path("search", search.SearchView.as_view(), name="search"),
    path("search/suggest", search.SuggestView.as_view(), name="search-suggest"),
    path("products", products.ProductListView.as_view(), name="product-list"),
    path(PRODUCT, products.ProductDetailView.as_view(), name="product-detail"),
    path(
        f"{PRODUCT}/owners",
        owners.OwnershipListView.as_view(),
        name="ownership-list",
    ),
    path(
        f"{PRODUCT}/owners/<int:pk>",
        owners.OwnershipDetailView.as_view(),
        name="ownership-detail",
    ),
    path(f"{PRODUCT}/ports", ports.OutputPortListView.as_view(), name="port-list"),
    path(
        f"{PRODUCT}/ports/<int:pk>",
        ports.OutputPortDetailView.as_view(),
        name="port-detail",
    ),
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
    path(f"{PRODUCT}/sla", sla.ServiceLevelView.as_view(), name="sla"),
    path(f"{PRODUCT}/trust", trust.ProductTrustView.as_view(), name="product-trust"),
    path(
        f"{PRODUCT}/features",
        features.ProductFeatureListView.as_view(),
        name="product-feature-list",
    ),
    path(
        f"{PRODUCT}/features/<int:pk>",
        features.ProductFeatureDetailView.as_view(),
        name="product-feature-detail",
    ),
    path("features", features.FeatureListView.as_view(), name="feature-list"),
    path(
        "contract-check",
        contracts.ContractCheckView.as_view(),
        name="contract-check",
    ),
]
