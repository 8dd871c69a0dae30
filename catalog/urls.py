from django.urls import path

from catalog import trust_views

app_name = "catalog"

urlpatterns = [
    path(
        "products/<slug:slug>/trust",
        trust_views.product_trust_page,
        name="product-trust",
    ),
    path(
        "domains/<slug:slug>/trust",
        trust_views.domain_trust_page,
        name="domain-trust",
    ),
]
