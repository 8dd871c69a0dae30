"""Rebuilding the derived tables from the raw log, and order independence."""

import csv
import io
import json
import random

import pytest
from django.core.management import call_command
from django.db import DatabaseError, transaction

from lineage import tasks
from lineage.ingestion.body import split_body
from lineage.ingestion.derive import store_events
from lineage.ingestion.parsing import parse_event
from lineage.ingestion.rebuild import rebuild_lineage
from lineage.models import Event, LineageEdge
from tests.lineage_tables import erase_lineage, snapshot_lineage

pytestmark = pytest.mark.django_db


def corpus_payloads(corpus_dir) -> list[dict]:
    """Every event the corpus expects to be accepted, then every case, in order."""
    payloads = []
    with (corpus_dir / "expected.tsv").open() as expected:
        for row in csv.DictReader(expected, delimiter="\t"):
            if row["outcome"] != "accept":
                continue
            body = (corpus_dir / row["path"]).read_bytes()
            _, items = split_body(body, max_events=10_000)
            assert len(items) == int(row["events"]), row["path"]
            payloads.extend(items)
    for case in sorted((corpus_dir / "cases").glob("*.json")):
        payloads.extend(json.loads(case.read_text()))
    return payloads


def store_one_by_one(payloads: list[dict]) -> None:
    for payload in payloads:
        store_events([parse_event(payload)])


@pytest.fixture
def corpus_events(corpus_dir):
    return corpus_payloads(corpus_dir)


def test_corpus_derives_runs_and_edges(corpus_events):
    store_one_by_one(corpus_events)

    tables = snapshot_lineage()
    # Case 02 sends two events twice, and two event_simple.json files are equal.
    assert len(corpus_events) == 132
    assert Event.objects.count() == 129
    assert {name: len(rows) for name, rows in tables.items()} == {
        "namespaces": 43,
        "jobs": 65,
        "datasets": 88,
        "schema_versions": 32,
        "runs": 68,
        "run_datasets": 120,
        "edges": 117,
        "column_edges": 69,
        "job_facets": 94,
        "run_facets": 138,
        "dataset_facets": 104,
    }
    aliases = sorted(row[0] for row in tables["datasets"] if row[1] is not None)
    assert aliases == [
        ("file", "/tmp/cll_test/cll_source1"),
        ("file", "/tmp/cll_test/cll_source2"),
        ("file", "/tmp/cll_test/tbl1"),
        ("s3://warehouse", "/sales.db/orders"),
    ]
    assert not LineageEdge.objects.filter(dataset__canonical__isnull=False).exists()


def test_rebuild_gives_same_tables(corpus_events):
    store_one_by_one(corpus_events)
    before = snapshot_lineage()
    events_before = list(Event.objects.order_by("id").values_list("id", "event_hash"))

    result = rebuild_lineage(batch_size=37)

    assert result.replayed == len(events_before)
    assert result.skipped == 0
    assert snapshot_lineage() == before
    assert list(Event.objects.order_by("id").values_list("id", "event_hash")) == (
        events_before
    )


def test_shuffled_delivery_gives_same_tables(corpus_events):
    store_one_by_one(corpus_events)
    in_order = snapshot_lineage()

    for seed in (1, 2, 3):
        erase_lineage()
        shuffled = list(corpus_events)
        random.Random(seed).shuffle(shuffled)
        store_one_by_one(shuffled)
        assert snapshot_lineage() == in_order, f"seed {seed}"


def test_one_batch_gives_same_tables(corpus_events):
    store_one_by_one(corpus_events)
    one_by_one = snapshot_lineage()

    erase_lineage()
    store_events([parse_event(payload) for payload in corpus_events])

    assert snapshot_lineage() == one_by_one


def test_rebuild_command_reports_counts(corpus_events):
    store_one_by_one(corpus_events[:10])
    before = snapshot_lineage()
    output = io.StringIO()

    call_command("rebuild_lineage", "--batch-size", "3", stdout=output)

    assert output.getvalue() == (
        "Replayed 10 events; skipped 0 that no longer parse.\n"
    )
    assert snapshot_lineage() == before


def test_rebuild_task_calls_the_service(corpus_events):
    store_one_by_one(corpus_events[:5])
    before = snapshot_lineage()

    result = tasks.rebuild_lineage.apply().get()

    assert result == {"replayed": 5, "skipped": 0}
    assert snapshot_lineage() == before


def test_event_log_rejects_update(corpus_events):
    store_one_by_one(corpus_events[:1])

    with pytest.raises(DatabaseError, match="append-only: UPDATE is not allowed"):
        with transaction.atomic():
            Event.objects.update(run_state="FAIL")

    assert Event.objects.get().run_state != "FAIL"


def test_event_log_rejects_delete(corpus_events):
    store_one_by_one(corpus_events[:1])

    with pytest.raises(DatabaseError, match="append-only: DELETE is not allowed"):
        with transaction.atomic():
            Event.objects.all().delete()

    assert Event.objects.count() == 1
