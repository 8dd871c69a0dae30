"""Keep the search index fresh: catalog changes rewrite their documents at once,
in the transaction that made them; new lineage datasets are indexed by a Celery
task queued after the events commit.

Why a task for lineage: ingestion is the portal's hot path, and most events
repeat datasets whose schema has not changed. The receiver only collects the
(namespace, name) pairs of the events and queues one task per request; the
task skips datasets whose document was built from their current schema.
Pairs already queued with the same schema within RECENT_SECONDS are not queued
again, so a job that runs every minute costs ingestion nothing after its first
run.
"""

import logging
import time

import orjson
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from catalog.models import DataProduct, Domain, Feature, OutputPort, Ownership, Tag
from catalog.search.indexing import (
    search_index_datasets,
    search_index_features,
    search_index_products,
)
from catalog.search.tasks import index_lineage_datasets
from lineage.signals import events_stored

logger = logging.getLogger(__name__)

RECENT_SECONDS = 60.0
# Bounds the memory of the recently queued pairs; past it, the memory restarts.
MAX_RECENT = 10_000
_recent: dict[tuple, float] = {}


@receiver(post_save, sender=DataProduct, dispatch_uid="search.product_saved")
def product_saved(sender, instance, **kwargs) -> None:
    search_index_products(product_ids=[instance.pk])


@receiver(post_delete, sender=DataProduct, dispatch_uid="search.product_deleted")
def product_deleted(sender, instance, **kwargs) -> None:
    search_index_products(product_ids=[instance.pk])


@receiver(
    m2m_changed, sender=DataProduct.tags.through, dispatch_uid="search.tags_changed"
)
def tags_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            search_index_products(product_ids=[instance.pk])
        return
    # `instance` is a Tag. Clearing it from the tag's side names no products,
    # so they are read before the clear.
    if action == "pre_clear":
        instance._search_product_ids = list(
            instance.products.values_list("pk", flat=True)
        )
    elif action == "post_clear":
        search_index_products(product_ids=instance._search_product_ids)
    elif action in ("post_add", "post_remove"):
        search_index_products(product_ids=pk_set)


@receiver(post_save, sender=Tag, dispatch_uid="search.tag_saved")
def tag_saved(sender, instance, created, **kwargs) -> None:
    if not created:
        search_index_products(
            product_ids=instance.products.values_list("pk", flat=True)
        )


@receiver(post_save, sender=Domain, dispatch_uid="search.domain_saved")
def domain_saved(sender, instance, created, **kwargs) -> None:
    if not created:
        search_index_products(
            product_ids=instance.products.values_list("pk", flat=True)
        )


@receiver(post_save, sender=Ownership, dispatch_uid="search.ownership_saved")
@receiver(post_delete, sender=Ownership, dispatch_uid="search.ownership_deleted")
@receiver(post_save, sender=OutputPort, dispatch_uid="search.port_saved")
def product_part_changed(sender, instance, **kwargs) -> None:
    search_index_products(product_ids=[instance.product_id])


@receiver(post_delete, sender=OutputPort, dispatch_uid="search.port_deleted")
def port_deleted(sender, instance, **kwargs) -> None:
    # The dataset's document loses the product first, so that the product's
    # own reindex no longer lists it.
    search_index_datasets(dataset_ids=[instance.dataset_id])
    search_index_products(product_ids=[instance.product_id])


@receiver(post_save, sender=Feature, dispatch_uid="search.feature_saved")
@receiver(post_delete, sender=Feature, dispatch_uid="search.feature_deleted")
def feature_changed(sender, instance, **kwargs) -> None:
    search_index_features(feature_ids=[instance.pk])


def _schema_key(dataset) -> bytes | None:
    if dataset.schema_fields is None:
        return None
    return orjson.dumps(dataset.schema_fields, option=orjson.OPT_SORT_KEYS)


def _not_recently_queued(events) -> list[list[str]]:
    now = time.monotonic()
    if len(_recent) > MAX_RECENT:
        _recent.clear()
    pairs = []
    for event in events:
        datasets = [*event.inputs, *event.outputs]
        if event.dataset is not None:
            datasets.append(event.dataset)
        for dataset in datasets:
            key = (dataset.namespace, dataset.name, _schema_key(dataset))
            if _recent.get(key, 0.0) > now:
                continue
            _recent[key] = now + RECENT_SECONDS
            pairs.append([dataset.namespace, dataset.name])
    return pairs


def forget_recent_datasets() -> None:
    """Queue every dataset of the next events again (tests, index rebuilds)."""
    _recent.clear()


@receiver(events_stored, dispatch_uid="search.index_new_datasets")
def index_new_datasets(sender, events, **kwargs) -> None:
    pairs = _not_recently_queued(events)
    if pairs:
        transaction.on_commit(lambda: _enqueue(pairs))


def _enqueue(pairs: list[list[str]]) -> None:
    try:
        index_lineage_datasets.delay(pairs)
    except Exception:  # noqa: BLE001 - rebuild_search_index catches up later
        logger.exception("Could not queue the indexing of %s datasets", len(pairs))
