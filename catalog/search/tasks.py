"""Celery tasks of search: each loads ids and calls an indexing service."""

from celery import shared_task

from catalog.search.indexing import search_index_datasets, search_index_products
from lineage.graph import find_by_names
from lineage.models import Dataset


@shared_task
def index_lineage_datasets(pairs: list[list[str]]) -> None:
    """Index the datasets named by (namespace, name) pairs whose schema changed,
    then the products that publish them, whose documents list their fields."""
    found = find_by_names(Dataset, [(namespace, name) for namespace, name in pairs])
    product_ids = search_index_datasets(
        dataset_ids=[pk for _, pk in found], stale_only=True
    )
    search_index_products(product_ids=product_ids)
