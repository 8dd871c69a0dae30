"""Derivation rules: run state ranking, duplicates, batching, dedup inside a batch."""

import itertools
import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid5

import psycopg
import pytest
from django.db import connection

from lineage.ingestion.derive import store_events
from lineage.ingestion.parsing import parse_event
from lineage.models import (
    ColumnLineageEdge,
    Dataset,
    DatasetFacet,
    Event,
    Job,
    LineageEdge,
    Run,
    RunDataset,
    SchemaVersion,
)
from tests.lineage_tables import erase_lineage, snapshot_lineage

pytestmark = pytest.mark.django_db

PRODUCER = "https://example.com/derive-test/1.0"
T0 = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)
NAMESPACE = UUID("6f1c3c2a-1d7e-4d8f-9a51-0c3f3e2b7a10")


def run_uuid(name: str) -> str:
    return str(uuid5(NAMESPACE, name))


def dataset(name: str, *, namespace="postgres://db:5432", **facets) -> dict:
    return {"namespace": namespace, "name": name, "facets": facets}


def schema(*names: str) -> dict:
    return {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
        "fields": [{"name": name, "type": "TEXT"} for name in names],
    }


def run_event(
    state: str | None,
    minute: int,
    *,
    run: str = "run",
    job: str = "job",
    inputs=(),
    outputs=(),
    run_facets=None,
) -> dict:
    event = {
        "eventTime": (T0 + timedelta(minutes=minute)).isoformat(),
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": run_uuid(run), "facets": run_facets or {}},
        "job": {"namespace": "etl", "name": job, "facets": {}},
        "inputs": list(inputs),
        "outputs": list(outputs),
    }
    if state is not None:
        event["eventType"] = state
    return event


def store(*payloads: dict):
    return store_events([parse_event(payload) for payload in payloads])


# The state each pair ends in, whatever the arrival order. Terminal states
# outrank START and RUNNING, which outrank OTHER and no eventType. Among equal
# ranks the later eventTime wins.
RANK = {
    "COMPLETE": 2,
    "FAIL": 2,
    "ABORT": 2,
    "START": 1,
    "RUNNING": 1,
    "OTHER": 0,
    None: 0,
}
PAIRS = list(itertools.product(RANK, RANK))


@pytest.mark.parametrize(("earlier", "later"), PAIRS)
def test_run_state_ranking_in_both_orders(earlier, later):
    expected = earlier if RANK[earlier] > RANK[later] else later
    expected_time = (
        T0
        if expected == earlier and RANK[earlier] > RANK[later]
        else (T0 + timedelta(minutes=5))
    )

    for order, name in (
        (("earlier", "later"), "in-order"),
        (("later", "earlier"), "reversed"),
    ):
        events = {
            "earlier": run_event(earlier, 0, run=name),
            "later": run_event(later, 5, run=name),
        }
        store(events[order[0]])
        store(events[order[1]])

        run = Run.objects.get(run_id=run_uuid(name))
        assert run.state == (expected or ""), name
        assert run.state_time == expected_time, name
        terminal = RANK[expected] == 2
        assert run.ended_at == (expected_time if terminal else None), name
        starts = [t for state, t in ((earlier, 0), (later, 5)) if state == "START"]
        expected_start = T0 + timedelta(minutes=starts[0]) if starts else None
        assert run.started_at == expected_start, name
        assert run.first_event_time == T0, name


def test_finished_run_never_falls_back_to_running():
    store(run_event("START", 0), run_event("COMPLETE", 10))
    store(run_event("RUNNING", 20))

    run = Run.objects.get()
    assert run.state == "COMPLETE"
    assert run.state_time == T0 + timedelta(minutes=10)
    assert run.ended_at == T0 + timedelta(minutes=10)


def test_terminal_tie_is_broken_by_state_name():
    store(run_event("FAIL", 10))
    store(run_event("COMPLETE", 10))
    first = Run.objects.get().state

    erase_lineage()
    store(run_event("COMPLETE", 10))
    store(run_event("FAIL", 10))

    assert first == "FAIL"
    assert Run.objects.get().state == "FAIL"


def test_duplicate_delivery_derives_nothing_new():
    start = run_event("START", 0, inputs=[dataset("a")], outputs=[dataset("b")])
    complete = run_event("COMPLETE", 5, inputs=[dataset("a")], outputs=[dataset("b")])
    stored = store(start, complete)
    before = snapshot_lineage()

    again = store(complete, start, complete)

    assert [s.created for s in stored] == [True, True]
    assert [s.created for s in again] == [False, False, False]
    assert [s.event_id for s in again] == [
        stored[1].event_id,
        stored[0].event_id,
        stored[1].event_id,
    ]
    assert Event.objects.count() == 2
    assert snapshot_lineage() == before


def test_batch_duplicate_stored_once():
    event = run_event("START", 0, outputs=[dataset("b")])

    stored = store(event, event)

    assert [s.created for s in stored] == [True, False]
    assert stored[0].event_id == stored[1].event_id
    assert Event.objects.count() == 1
    assert RunDataset.objects.count() == 1


def test_batch_with_same_run_job_and_dataset_twice():
    out = dataset("orders_daily", schema=schema("id", "total"))
    stored = store(
        run_event("START", 0, inputs=[dataset("orders")], outputs=[out]),
        run_event("RUNNING", 2, inputs=[dataset("orders")], outputs=[out]),
        run_event("COMPLETE", 5, inputs=[dataset("orders")], outputs=[out]),
        run_event("START", 6, run="second", inputs=[dataset("orders")]),
    )

    assert [s.created for s in stored] == [True, True, True, True]
    assert Job.objects.count() == 1
    assert Dataset.objects.count() == 2
    assert Run.objects.count() == 2
    run = Run.objects.get(run_id=run_uuid("run"))
    assert run.state == "COMPLETE"
    assert run.started_at == T0
    assert RunDataset.objects.filter(run=run).count() == 2
    assert LineageEdge.objects.count() == 2
    edge = LineageEdge.objects.get(direction="input")
    assert edge.first_seen_at == T0
    assert edge.last_seen_at == T0 + timedelta(minutes=6)
    assert SchemaVersion.objects.count() == 1
    version = SchemaVersion.objects.get()
    assert version.first_seen_at == T0
    assert version.last_seen_at == T0 + timedelta(minutes=5)
    assert Dataset.objects.get(name="orders_daily").current_schema == version
    output = RunDataset.objects.get(run=run, direction="output")
    assert output.schema_version == version


def test_rows_per_run_stay_constant():
    inputs = [dataset("orders")]
    outputs = [dataset("orders_daily", schema=schema("id", "total"))]
    counts = []
    for day in range(4):
        run = f"day-{day}"
        store(
            run_event("START", day * 60, run=run, inputs=inputs, outputs=outputs),
            run_event(
                "COMPLETE", day * 60 + 5, run=run, inputs=inputs, outputs=outputs
            ),
        )
        counts.append(
            (
                Job.objects.count(),
                Dataset.objects.count(),
                LineageEdge.objects.count(),
                SchemaVersion.objects.count(),
                Run.objects.count(),
                RunDataset.objects.count(),
            )
        )

    # Each run adds one run and its two run datasets. Jobs, datasets, edges and
    # schema versions are upserted, so their counts stay the same.
    assert counts == [
        (1, 2, 2, 1, 1, 2),
        (1, 2, 2, 1, 2, 4),
        (1, 2, 2, 1, 3, 6),
        (1, 2, 2, 1, 4, 8),
    ]


def varied_events() -> list[dict]:
    """Events touching every derived table, with conflicts to merge."""
    events = []
    for index in range(6):
        run = f"run-{index}"
        job = f"job-{index % 3}"
        columns = ("id", "total") if index < 3 else ("id", "total", "currency")
        column_lineage = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
            "fields": {
                "total": {
                    "inputFields": [
                        {
                            "namespace": "postgres://db:5432",
                            "name": "orders",
                            "field": "amount",
                            "transformations": [
                                {"type": "DIRECT", "subtype": f"STEP{index}"}
                            ],
                        }
                    ]
                }
            },
        }
        symlinks = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json",
            "identifiers": [
                {
                    "namespace": "hive://meta:9083",
                    "name": "sales.daily",
                    "type": "TABLE",
                }
            ],
        }
        output = dataset(
            "/warehouse/daily" if index % 2 else "daily",
            namespace="s3://lake" if index % 2 else "postgres://db:5432",
            schema=schema(*columns),
            columnLineage=column_lineage,
        )
        if index >= 4:
            output["facets"]["symlinks"] = symlinks
        parent = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json",
            "run": {"runId": run_uuid("dag-run")},
            "job": {"namespace": "airflow", "name": "dag"},
        }
        for state, minute in (("START", index * 10), ("COMPLETE", index * 10 + 3)):
            events.append(
                run_event(
                    state,
                    minute,
                    run=run,
                    job=job,
                    inputs=[dataset("orders", schema=schema("id", "amount"))],
                    outputs=[output],
                    run_facets={"parent": parent} if state == "START" else {},
                )
            )
    events.append(
        {
            "eventTime": (T0 + timedelta(minutes=90)).isoformat(),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            "job": {"namespace": "etl", "name": "job-0", "facets": {}},
            "inputs": [dataset("orders")],
            "outputs": [dataset("planned")],
        }
    )
    events.append(
        {
            "eventTime": (T0 + timedelta(minutes=95)).isoformat(),
            "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": dataset("orders", schema=schema("id", "amount", "note")),
        }
    )
    return events


def test_batch_and_one_by_one_give_same_tables():
    events = varied_events()
    for event in events:
        store(event)
    one_by_one = snapshot_lineage()

    erase_lineage()
    store(*events)
    batched = snapshot_lineage()

    erase_lineage()
    for event in reversed(events):
        store(event)
    reversed_order = snapshot_lineage()

    assert batched == one_by_one
    assert reversed_order == one_by_one
    assert len(one_by_one["runs"]) == 7
    assert len(one_by_one["column_edges"]) == 1
    assert one_by_one["column_edges"][0][4] == [{"type": "DIRECT", "subtype": "STEP5"}]


def test_varied_events_resolve_symlinks_and_parents():
    store(*varied_events())

    table = Dataset.objects.get(name="sales.daily")
    assert sorted(d.name for d in table.aliases.all()) == ["/warehouse/daily", "daily"]
    assert not LineageEdge.objects.filter(dataset__canonical__isnull=False).exists()
    assert sorted(
        (e.job.name, e.direction)
        for e in LineageEdge.objects.filter(dataset=table).select_related("job")
    ) == [("job-0", "output"), ("job-1", "output"), ("job-2", "output")]
    column = ColumnLineageEdge.objects.get()
    assert column.output_dataset == table
    assert column.input_dataset.name == "orders"
    dag_run = Run.objects.get(run_id=run_uuid("dag-run"))
    assert dag_run.state == ""
    assert dag_run.job.name == "dag"
    assert dag_run.children.count() == 6
    assert Job.objects.get(name="job-1").parent.name == "dag"
    orders = Dataset.objects.get(name="orders")
    assert [field["name"] for field in orders.current_schema.fields] == [
        "id",
        "amount",
        "note",
    ]
    assert orders.schema_versions.count() == 2
    declared = LineageEdge.objects.get(dataset__name="planned")
    assert declared.declared is True
    assert declared.seen_in_runs is False
    assert DatasetFacet.objects.filter(
        dataset=orders, name="schema"
    ).get().event_time == (T0 + timedelta(minutes=95))


def test_invalid_facet_is_stored_as_invalid():
    broken = dataset("orders")
    broken["facets"]["schema"] = {"_producer": PRODUCER, "fields": "not a list"}

    store(run_event("START", 0, inputs=[broken]))

    facet = DatasetFacet.objects.get(name="schema")
    assert facet.valid is False
    assert facet.payload["fields"] == "not a list"
    assert SchemaVersion.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_deadlocked_batch_is_retried(caplog):
    store(run_event("START", 0, inputs=[dataset("a"), dataset("b")]))
    settings = connection.settings_dict
    locked_b = threading.Event()
    other_error = []

    def lock_b_then_a():
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"],
            dbname=settings["NAME"],
        ) as other:
            # The store below detects the deadlock first and is the one aborted.
            other.execute("SET deadlock_timeout = '10s'")
            # A row lock, not an update: the store's insert of names would
            # wait for an updated row before it locks anything.
            other.execute(
                "SELECT 1 FROM lineage_dataset WHERE name = 'b' FOR NO KEY UPDATE"
            )
            locked_b.set()
            time.sleep(0.5)
            try:
                other.execute("UPDATE lineage_dataset SET name = name WHERE name = 'a'")
            except psycopg.Error as error:
                other_error.append(error)

    other = threading.Thread(target=lock_b_then_a)
    other.start()
    locked_b.wait(timeout=5)
    # Later times make the last update of the batch lock dataset a, then wait for b.
    with caplog.at_level(logging.WARNING, logger="lineage.ingestion.derive"):
        stored = store(run_event("COMPLETE", 5, inputs=[dataset("a"), dataset("b")]))
    other.join(timeout=15)

    assert other_error == []
    assert [s.created for s in stored] == [True]
    assert "Deadlock while storing 1 events (attempt 1 of 3)" in caplog.text
    run = Run.objects.get()
    assert run.state == "COMPLETE"
    assert Dataset.objects.get(name="a").last_event_time == T0 + timedelta(minutes=5)
