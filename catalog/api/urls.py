from django.urls import path

from catalog.api import trust

app_name = "catalog-api"

urlpatterns = [
    path(
        "products/<slug:slug>/trust",
        trust.ProductTrustView.as_view(),
        name="product-trust",
    ),
    path(
        "domains/<slug:slug>/trust",
        trust.DomainTrustView.as_view(),
        name="domain-trust",
    ),
]
