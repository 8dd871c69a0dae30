"""The real openlineage-python client sends events to a live portal."""

import uuid
from datetime import UTC, datetime

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import schema_dataset
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)

from lineage.models import Dataset, Event
from lineage.models import Run as RunModel

PRODUCER = "https://example.com/groundskeeper-tests"


def make_client(url: str, api_key: str, compression=None) -> OpenLineageClient:
    config = HttpConfig(
        url=url,
        auth=ApiKeyTokenProvider({"apiKey": api_key}),
        compression=compression,
        # A failed request must fail the test at once, not be retried.
        retry={"total": 0},
    )
    return OpenLineageClient(transport=HttpTransport(config))


def now() -> str:
    return datetime.now(UTC).isoformat()


def orders_schema():
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name="id", type="BIGINT"),
            schema_dataset.SchemaDatasetFacetFields(name="amount", type="NUMERIC"),
        ]
    )


@pytest.mark.parametrize("compression", [None, HttpCompression.GZIP])
def test_client_run_events_stored(
    live_server, transactional_db, pipeline_key, compression
):
    client = make_client(live_server.url, pipeline_key, compression)
    run = Run(runId=str(uuid.uuid4()))
    job = Job(namespace="airflow", name="orders_dag.load")
    inputs = [
        InputDataset(namespace="postgres://db.example.com:5432", name="shop.orders")
    ]
    outputs = [
        OutputDataset(
            namespace="s3://lake",
            name="/orders/daily",
            facets={"schema": orders_schema()},
        )
    ]

    for state in (RunState.START, RunState.COMPLETE):
        client.emit(
            RunEvent(
                eventType=state,
                eventTime=now(),
                run=run,
                job=job,
                producer=PRODUCER,
                inputs=inputs,
                outputs=outputs,
            )
        )

    events = Event.objects.filter(run_id=run.runId).order_by("pk")
    assert [event.run_state for event in events] == ["START", "COMPLETE"]
    assert [event.warnings for event in events] == [[], []]
    stored_run = RunModel.objects.get(run_id=run.runId)
    assert stored_run.state == "COMPLETE"
    assert stored_run.job.name == "orders_dag.load"


def test_client_dataset_and_job_events_stored(
    live_server, transactional_db, pipeline_key
):
    client = make_client(live_server.url, pipeline_key)

    client.emit(
        DatasetEvent(
            eventTime=now(),
            producer=PRODUCER,
            dataset=StaticDataset(
                namespace="s3://lake",
                name="/customers",
                facets={"schema": orders_schema()},
            ),
        )
    )
    client.emit(
        JobEvent(
            eventTime=now(),
            producer=PRODUCER,
            job=Job(namespace="static_design", name="planned_join_job"),
            inputs=[InputDataset(namespace="static_design", name="users")],
            outputs=[OutputDataset(namespace="static_design", name="users_orders")],
        )
    )

    assert list(Event.objects.order_by("pk").values_list("event_type", "run_id")) == [
        ("DatasetEvent", None),
        ("JobEvent", None),
    ]
    assert Dataset.objects.filter(
        namespace__name="s3://lake", name="/customers"
    ).exists()
    assert Dataset.objects.filter(
        namespace__name="static_design", name="users_orders"
    ).exists()
