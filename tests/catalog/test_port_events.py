"""New OpenLineage events queue a check of the output ports they touched."""

import pytest

from catalog import receivers
from catalog.selectors import canonical_dataset, ports_written
from catalog.services import output_port_add
from lineage.services import ingest_payloads
from tests.catalog_factories import make_product

PRODUCER = "https://example.com/catalog-test-producer/1.0"
RUN_ID = "01934f5e-0000-7000-8000-000000000001"


def run_event(state: str, *, outputs=None) -> dict:
    return {
        "eventType": state,
        "eventTime": "2024-05-01T10:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": RUN_ID},
        "job": {"namespace": "etl", "name": "daily_orders"},
        "inputs": [],
        "outputs": outputs if outputs is not None else [],
    }


ORDERS = {"namespace": "s3://lake", "name": "orders"}


@pytest.fixture(autouse=True)
def _fresh_port_cache():
    receivers.forget_ports_exist()
    yield
    receivers.forget_ports_exist()


def _port_checks(callbacks) -> list:
    """The on-commit callbacks that queue a port check (search indexing queues
    its own)."""
    return [
        callback
        for callback in callbacks
        if callback.__qualname__.startswith("check_touched_ports.")
    ]


def test_complete_touches_port_start_wrote(owner):
    ingest_payloads([run_event("START", outputs=[ORDERS])])
    product = make_product("Orders", owner=owner)
    port = output_port_add(
        product=product, dataset=canonical_dataset("s3://lake", "orders")
    )

    assert ports_written([], []) == []
    assert ports_written([("s3://lake", "orders")], []) == [port.pk]
    assert ports_written([], [RUN_ID]) == [port.pk]


def test_port_check_queued_only_when_touched(owner, django_capture_on_commit_callbacks):
    ingest_payloads([run_event("START", outputs=[ORDERS])])
    output_port_add(
        product=make_product("Orders", owner=owner),
        dataset=canonical_dataset("s3://lake", "orders"),
    )
    other = run_event("COMPLETE", outputs=[{"namespace": "s3://lake", "name": "x"}])
    other["run"] = {"runId": "01934f5e-0000-7000-8000-000000000002"}

    with django_capture_on_commit_callbacks() as untouched:
        ingest_payloads([other])
    with django_capture_on_commit_callbacks() as touched:
        ingest_payloads([run_event("COMPLETE")])

    assert _port_checks(untouched) == []
    assert len(_port_checks(touched)) == 1


def test_rebuild_keeps_the_dataset_a_port_names(owner):
    from lineage.ingestion.rebuild import rebuild_lineage
    from lineage.models import Dataset
    from tests.lineage_tables import snapshot_lineage

    ingest_payloads([run_event("START", outputs=[ORDERS])])
    dataset = canonical_dataset("s3://lake", "orders")
    port = output_port_add(product=make_product("Orders", owner=owner), dataset=dataset)
    before = snapshot_lineage()

    rebuild_lineage()

    port.refresh_from_db()
    assert port.dataset_id == dataset.pk
    assert Dataset.objects.get(pk=dataset.pk).first_seen_at == dataset.first_seen_at
    assert snapshot_lineage() == before
