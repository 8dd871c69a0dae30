from django.urls import path

from catalog.api import search

app_name = "catalog-api"

urlpatterns = [
    path("search", search.SearchView.as_view(), name="search"),
    path("search/suggest", search.SuggestView.as_view(), name="search-suggest"),
]
