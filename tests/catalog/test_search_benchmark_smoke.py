"""The catalog-estate generator at a tiny size, so it does not rot between runs.

Nothing here is timed: the benchmarks run only on demand (`python -m
benchmarks catalog-estate`).
"""

from django.contrib.auth import get_user_model
from django.db import connection

from benchmarks.catalog_estate import CONSUMER, build_catalog_estate
from catalog.models import DataProduct, Feature, OutputPort, SearchDocument
from catalog.search.indexing import search_index_rebuild
from catalog.search.params import SearchParams
from catalog.search.selectors import search_documents
from catalog.selectors import products_visible_to
from lineage.models import Dataset


def test_estate_has_the_requested_shape(db):
    with connection.cursor() as cursor:
        build_catalog_estate(cursor, products=200, datasets=100)

    assert DataProduct.objects.count() == 200
    assert Dataset.objects.count() == 100
    assert OutputPort.objects.count() == 90
    assert Feature.objects.count() == 100
    fields = [len(d.current_schema.fields) for d in Dataset.objects.all()]
    assert fields == [10] * 100
    assert DataProduct.objects.filter(lifecycle="draft").count() == 20


def test_estate_search_agrees_with_visibility(admin_user):
    with connection.cursor() as cursor:
        build_catalog_estate(cursor, products=200, datasets=100)
    counts = search_index_rebuild()
    consumer = get_user_model().objects.get(username=CONSUMER)

    params = SearchParams(q="orders", filters={"kind": ["product"]}, limit=50)
    result = search_documents(consumer, params)
    everything = search_documents(admin_user, params)

    assert counts == {"dataset": 100, "feature": 100, "product": 200}
    visible = set(products_visible_to(consumer).values_list("pk", flat=True))
    expected = {hit.object_id for hit in everything.hits if hit.object_id in visible}
    assert 0 < len(expected) < everything.total
    assert result.total == len(expected)
    assert {hit.object_id for hit in result.hits} == expected
    assert SearchDocument.objects.filter(body__contains="address.city").exists()
