from django.urls import path

from catalog import edit_views, product_views, search_views, trust_views, views

app_name = "catalog"

urlpatterns = [
    path("", views.home, name="home"),
    path("search", search_views.search, name="search"),
    path("dashboard", views.dashboard, name="dashboard"),
    path("notifications/read", views.notifications_read, name="notifications-read"),
    path("domains/<slug:slug>/", views.domain_detail, name="domain-detail"),
    path(
        "domains/<slug:slug>/trust",
        trust_views.domain_trust_page,
        name="domain-trust",
    ),
    path("products/new", edit_views.product_create, name="product-create"),
    path("products/<slug:slug>/", product_views.product_detail, name="product-detail"),
    path(
        "products/<slug:slug>/request-access",
        product_views.request_access,
        name="request-access",
    ),
    path("products/<slug:slug>/edit", edit_views.product_edit, name="product-edit"),
    path(
        "products/<slug:slug>/trust",
        trust_views.product_trust_page,
        name="product-trust",
    ),
    path(
        "products/<slug:slug>/owners",
        edit_views.ownership_add,
        name="ownership-add",
    ),
    path(
        "products/<slug:slug>/owners/<int:pk>/remove",
        edit_views.ownership_remove,
        name="ownership-remove",
    ),
    path(
        "products/<slug:slug>/ports",
        edit_views.output_port_add,
        name="output-port-add",
    ),
    path(
        "products/<slug:slug>/ports/<int:pk>/remove",
        edit_views.output_port_remove,
        name="output-port-remove",
    ),
]
