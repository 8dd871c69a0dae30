from django.urls import path

from catalog import search_views

app_name = "catalog"

urlpatterns = [
    path("search", search_views.search, name="search"),
]
