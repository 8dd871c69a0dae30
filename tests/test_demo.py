"""The demo estate, sent with the OpenLineage client to a live portal."""

import pytest
from django.db.models import Count
from openlineage.client.serde import Serde

from lineage.demo import DEFAULT_SEED, build_demo_events, send_demo_events
from lineage.models import (
    ColumnLineageEdge,
    Dataset,
    Event,
    Job,
    LineageEdge,
    Namespace,
    Run,
)

LAKE = "s3://acme-lake"
HIVE = "hive://metastore.acme.internal:9083"


def _as_json(events) -> list[str]:
    return [Serde.to_json(event) for event in events]


def test_same_seed_builds_same_events():
    assert _as_json(build_demo_events(DEFAULT_SEED)) == _as_json(
        build_demo_events(DEFAULT_SEED)
    )


def test_other_seed_changes_run_ids():
    run_ids = {e.run.runId for e in build_demo_events(1) if hasattr(e, "run")}
    other_run_ids = {e.run.runId for e in build_demo_events(2) if hasattr(e, "run")}

    assert len(run_ids) == 54
    assert run_ids.isdisjoint(other_run_ids)


def test_events_in_event_time_order():
    times = [event.eventTime for event in build_demo_events(DEFAULT_SEED)]

    assert times == sorted(times)


@pytest.fixture
def loaded_estate(live_server, pipeline_key):
    return send_demo_events(url=live_server.url, api_key=pipeline_key)


@pytest.mark.django_db(transaction=True)
def test_estate_counts(loaded_estate):
    assert loaded_estate == 110
    assert Event.objects.count() == 110
    assert Namespace.objects.count() == 8
    assert Job.objects.count() == 19
    assert Dataset.objects.count() == 20
    assert Run.objects.count() == 54
    states = dict(
        Run.objects.values_list("state").annotate(n=Count("id")).order_by("state")
    )
    assert states == {"COMPLETE": 50, "FAIL": 2, "RUNNING": 2}


@pytest.mark.django_db(transaction=True)
def test_estate_sent_twice_stores_nothing_new(loaded_estate, live_server, pipeline_key):
    sent_again = send_demo_events(url=live_server.url, api_key=pipeline_key)

    assert sent_again == 110
    assert Event.objects.count() == 110
    assert Run.objects.count() == 54


@pytest.mark.django_db(transaction=True)
def test_estate_lineage_details(loaded_estate):
    """Symlinks, parents, column lineage and design-time edges, in one load."""
    aliased = {
        (d.namespace.name, d.name): (d.canonical.namespace.name, d.canonical.name)
        for d in Dataset.objects.filter(canonical__isnull=False).select_related(
            "namespace", "canonical__namespace"
        )
    }
    pairs = {frozenset([alias, canonical]) for alias, canonical in aliased.items()}
    assert pairs == {
        frozenset(
            [(LAKE, "curated/sales/orders_enriched"), (HIVE, "curated.orders_enriched")]
        ),
        frozenset([(LAKE, "raw/marketing/campaigns"), (HIVE, "raw.campaigns")]),
        frozenset([(LAKE, "features/customer_ltv"), (HIVE, "features.customer_ltv")]),
    }

    parents = dict(
        Job.objects.filter(parent__isnull=False).values_list("name", "parent__name")
    )
    assert parents["sales_daily.extract_orders"] == "sales_daily"
    assert parents["orders_enrichment"] == "sales_daily.enrich_orders"
    assert parents["analytics.fct_orders"] == "dbt_build"
    # 8 Airflow tasks, 2 Spark applications, 3 dbt models.
    assert len(parents) == 13
    assert Run.objects.filter(parent__isnull=False).count() == 13 * 3

    revenue_inputs = set(
        ColumnLineageEdge.objects.filter(
            output_dataset__name="analytics.revenue_daily", output_field="revenue"
        ).values_list("input_dataset__name", "input_field")
    )
    assert revenue_inputs == {
        ("analytics.fct_orders", "amount"),
        ("analytics.fct_orders", "order_date"),
    }
    # Input fields per job: orders_enrichment 7, customer_features 5,
    # fct_orders 5, campaign_performance 5, revenue_daily 4.
    assert ColumnLineageEdge.objects.count() == 26

    declared_job = Job.objects.get(name="analytics.customer_lifetime_value")
    declared_edges = set(
        LineageEdge.objects.filter(job=declared_job).values_list(
            "dataset__name", "direction", "declared", "seen_in_runs"
        )
    )
    assert declared_job.runs.count() == 0
    assert declared_edges == {
        ("features.customer_ltv", "input", True, False),
        ("analytics.fct_orders", "input", True, False),
        ("analytics.customer_lifetime_value", "output", True, False),
    }
