"""The search index follows the catalog at once, and lineage after ingestion."""

import orjson
import pytest
from django.core.management import call_command

from catalog import services
from catalog.models import Feature, SearchDocument
from catalog.search.indexing import search_index_rebuild
from catalog.search.params import SearchParams
from catalog.search.selectors import search_documents
from catalog.search_receivers import forget_recent_datasets
from lineage.models import Dataset
from portal.celery import app as celery_app
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset

PRODUCER = "https://example.com/search-test-producer/1.0"


def _titles(user, query: str) -> list[str]:
    result = search_documents(user, SearchParams(q=query, limit=50))
    return sorted(hit.title for hit in result.hits)


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the test's process as they are queued."""
    celery_app.conf.task_always_eager = True
    forget_recent_datasets()
    yield
    celery_app.conf.task_always_eager = False


def test_renamed_product_is_found_by_new_name(owner, consumer):
    product = make_product("Orders", owner=owner)

    services.product_update(product=product, name="Shipments")

    assert _titles(consumer, "shipments") == ["Shipments"]
    assert _titles(consumer, "orders") == []


def test_product_made_draft_disappears_for_consumer(owner, consumer):
    product = make_product("Orders", owner=owner)
    dataset = make_dataset("warehouse", "orders_table", fields=[])
    services.output_port_add(product=product, dataset=dataset)

    services.product_update(product=product, lifecycle="draft")

    assert _titles(consumer, "orders") == []
    assert _titles(owner, "orders") == ["Orders", "orders_table"]


def test_tags_and_owners_follow_changes(owner, steward, consumer):
    product = make_product("Orders", owner=owner, tags=["gold"])

    services.product_update(product=product, tags=["silver"])
    ownership = services.ownership_add(product=product, role="steward", user=steward)

    assert _titles(consumer, "silver") == ["Orders"]
    assert _titles(consumer, "gold") == []
    assert _titles(consumer, "steward") == ["Orders"]
    services.ownership_remove(ownership=ownership)
    assert _titles(consumer, "steward") == []


def test_domain_rename_reaches_its_products(owner, consumer):
    domain = make_domain("Finance")
    make_product("Orders", owner=owner, domain=domain)

    services.domain_update(domain=domain, name="Treasury")

    assert _titles(consumer, "treasury") == ["Orders"]


def test_port_removal_frees_the_dataset(owner, consumer):
    product = make_product("Orders", owner=owner, lifecycle="draft")
    dataset = make_dataset("warehouse", "orders_table", fields=[{"name": "sku"}])
    port = services.output_port_add(product=product, dataset=dataset)
    assert _titles(consumer, "sku") == []

    services.output_port_remove(port=port)

    assert _titles(consumer, "sku") == ["orders_table"]
    assert SearchDocument.objects.get(kind="dataset").product_id is None


def test_feature_changes_follow(owner, consumer):
    product = make_product("Churn", owner=owner)
    feature = Feature.objects.create(
        product=product, name="tenure_days", entity="customer", value_type="int64"
    )
    assert _titles(consumer, "tenure_days") == ["tenure_days"]

    feature.name = "tenure_months"
    feature.save()
    assert _titles(consumer, "tenure_months") == ["tenure_months"]
    feature.delete()

    assert _titles(consumer, "tenure_months") == []


def test_deleted_product_leaves_no_documents(owner, consumer):
    product = make_product("Orders", owner=owner)
    Feature.objects.create(
        product=product, name="order_count", entity="customer", value_type="int64"
    )

    services.product_delete(product=product)

    assert SearchDocument.objects.count() == 0


def _run_event(fields: list[dict], run: int) -> dict:
    return {
        "eventType": "COMPLETE",
        "eventTime": f"2024-05-01T10:00:0{run}.000Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": f"01934f5e-0000-7000-8000-{run:012d}"},
        "job": {"namespace": "etl", "name": "daily_invoices"},
        "inputs": [],
        "outputs": [
            {
                "namespace": "s3://lake",
                "name": "/finance/invoices",
                "facets": {
                    "schema": {
                        "_producer": PRODUCER,
                        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
                        "fields": fields,
                    }
                },
            }
        ],
    }


def _post(client, key, event: dict):
    return client.post(
        "/api/v1/lineage",
        data=orjson.dumps(event),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def test_ingested_dataset_is_found_by_field(
    client,
    pipeline_key,
    consumer,
    owner,
    eager_tasks,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, pipeline_key, _run_event([{"name": "vat_rate"}], 1))
    assert response.status_code == 201
    assert _titles(consumer, "vat_rate") == ["/finance/invoices"]

    product = make_product("Invoices", owner=owner)
    services.output_port_add(product=product, dataset=Dataset.objects.get())
    with django_capture_on_commit_callbacks(execute=True):
        _post(client, pipeline_key, _run_event([{"name": "net_amount"}], 2))

    assert _titles(consumer, "net_amount") == ["/finance/invoices", "Invoices"]
    assert _titles(consumer, "vat_rate") == []


def test_same_schema_again_queues_nothing(
    client, pipeline_key, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as first:
        _post(client, pipeline_key, _run_event([{"name": "vat_rate"}], 1))
    with django_capture_on_commit_callbacks() as second:
        _post(client, pipeline_key, _run_event([{"name": "vat_rate"}], 2))

    assert len(first) == 1
    assert second == []


def test_rebuild_restores_every_document(owner):
    product = make_product("Orders", owner=owner)
    Feature.objects.create(
        product=product, name="order_count", entity="customer", value_type="int64"
    )
    make_dataset("warehouse", "orders_table", fields=[{"name": "sku"}])
    alias_target = make_dataset("warehouse", "canonical_table")
    make_dataset("s3://lake", "/alias", canonical=alias_target)
    SearchDocument.objects.all().delete()

    counts = search_index_rebuild()

    assert counts == {"dataset": 2, "feature": 1, "product": 1}
    document = SearchDocument.objects.get(kind="dataset", title="orders_table")
    assert document.body == "sku"
    assert document.open_to_all is True


def test_rebuild_command_prints_counts(owner, capsys):
    make_product("Orders", owner=owner)

    call_command("rebuild_search_index")

    assert capsys.readouterr().out == "Indexed 1 documents (product: 1).\n"


def test_nested_field_paths_are_indexed(consumer):
    dataset = make_dataset(
        "warehouse",
        "customers",
        fields=[
            {
                "name": "address",
                "fields": [{"name": "geo", "fields": [{"name": "lat"}]}],
            },
            {"type": "no name"},
            {"name": "email", "fields": "not a list"},
        ],
    )
    search_index_rebuild()

    document = SearchDocument.objects.get(object_id=dataset.pk)
    assert document.body == "address email address.geo address.geo.lat"
    assert _titles(consumer, "address.geo.lat") == ["customers"]


def test_huge_schema_does_not_stop_its_batch(consumer):
    # 110,000 field names make a text larger than a tsvector may hold (1 MB).
    huge = make_dataset(
        "big",
        "huge_schema_table",
        fields=[{"name": f"column_{index:06d}_abcdef"} for index in range(110_000)],
    )
    bystander = make_dataset("big", "bystander", fields=[{"name": "quokkacolumn"}])

    counts = search_index_rebuild()

    assert counts["dataset"] == 2
    assert _titles(consumer, "quokkacolumn") == ["bystander"]
    assert SearchDocument.objects.filter(object_id=huge.pk).exists()
    assert SearchDocument.objects.filter(object_id=bystander.pk).exists()
