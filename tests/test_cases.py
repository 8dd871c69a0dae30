"""The corpus cases, each sent one event at a time through POST /api/v1/lineage.

Each case is the shape of a real bug report against a lineage backend; the
assertions are what the portal must show afterwards.
"""

import json
from datetime import UTC, datetime
from uuid import UUID

import pytest

from lineage.models import (
    Dataset,
    DatasetFacet,
    Event,
    Job,
    JobFacet,
    LineageEdge,
    Namespace,
    Run,
    RunDataset,
    RunFacet,
    SchemaVersion,
)
from tests.lineage_tables import snapshot_lineage

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def load_case(corpus_dir, name: str) -> list[dict]:
    return json.loads((corpus_dir / "cases" / f"{name}.json").read_text())


def post_event(client, key: str, event: dict):
    return client.post(
        "/api/v1/lineage",
        data=json.dumps(event),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def send_case(client, key: str, events: list[dict]) -> list:
    responses = []
    for event in events:
        response = post_event(client, key, event)
        assert response.status_code in (200, 201), response.content
        responses.append(response)
    return responses


def edges_of(job_name: str) -> list[tuple]:
    return sorted(
        (edge.direction, edge.dataset.namespace.name, edge.dataset.name)
        for edge in LineageEdge.objects.filter(job__name=job_name).select_related(
            "dataset__namespace"
        )
    )


def test_complete_before_start_keeps_both_times(client, pipeline_key, corpus_dir):
    send_case(
        client,
        pipeline_key,
        load_case(corpus_dir, "01-out-of-order-complete-before-start"),
    )

    run = Run.objects.get()
    assert run.run_id == UUID("01934f5e-0000-7000-8000-000000000001")
    assert run.state == "COMPLETE"
    assert run.started_at == at("2024-05-01T10:00:00")
    assert run.ended_at == at("2024-05-01T10:05:00")
    assert run.state_time == at("2024-05-01T10:05:00")
    assert run.first_event_time == at("2024-05-01T10:00:00")
    assert run.job.name == "daily_orders"
    assert edges_of("daily_orders") == [
        ("input", "postgres://db.example.com:5432", "shop.public.orders"),
        ("output", "postgres://db.example.com:5432", "shop.public.orders_daily"),
    ]


def test_duplicate_delivery_derives_nothing_new(client, pipeline_key, corpus_dir):
    events = load_case(corpus_dir, "02-duplicate-delivery")
    first = send_case(client, pipeline_key, events[:2])
    after_first_delivery = snapshot_lineage()

    again = send_case(client, pipeline_key, events[2:])

    assert [r.status_code for r in first] == [201, 201]
    assert [r.status_code for r in again] == [200, 200]
    assert [r.json()["duplicate"] for r in again] == [True, True]
    assert [r.json()["id"] for r in again] == [r.json()["id"] for r in first]
    assert Event.objects.count() == 2
    assert snapshot_lineage() == after_first_delivery
    assert Run.objects.count() == 1
    assert Run.objects.get().state == "COMPLETE"
    assert RunDataset.objects.count() == 2
    assert LineageEdge.objects.count() == 2
    assert SchemaVersion.objects.count() == 0


def test_one_megabyte_facet_derives_normally(client, pipeline_key, corpus_dir):
    [event] = load_case(corpus_dir, "03-huge-event-unbounded-facet")
    description = "x" * (1024 * 1024)
    event["run"]["facets"]["spark_unknown"]["output"]["description"] = description

    [response] = send_case(client, pipeline_key, [event])

    assert response.status_code == 201
    run = Run.objects.get()
    assert run.state == "START"
    assert run.started_at == at("2024-05-01T12:00:00")
    facet = RunFacet.objects.get(run=run, name="spark_unknown")
    assert facet.payload["output"]["description"] == description
    assert facet.valid is True
    assert edges_of("app.execute_insert_into_hadoop_fs_relation_command.out") == [
        ("input", "file", "/data/in"),
        ("output", "file", "/data/out"),
    ]


def test_symlinked_path_and_table_are_one_dataset(client, pipeline_key, corpus_dir):
    send_case(
        client, pipeline_key, load_case(corpus_dir, "04-symlink-path-vs-table-name")
    )

    table = Dataset.objects.get(
        namespace__name="hive://metastore.example.com:9083", name="sales.orders"
    )
    path = Dataset.objects.get(
        namespace__name="s3://warehouse", name="/sales.db/orders"
    )
    assert path.canonical == table
    assert table.canonical is None
    assert edges_of("ingest_orders") == [
        ("output", "hive://metastore.example.com:9083", "sales.orders"),
    ]
    assert edges_of("report.build") == [
        ("input", "hive://metastore.example.com:9083", "sales.orders"),
        ("output", "hive://metastore.example.com:9083", "sales.orders_report"),
    ]
    assert not LineageEdge.objects.filter(dataset=path).exists()
    assert RunDataset.objects.filter(dataset=table).count() == 2
    assert not RunDataset.objects.filter(dataset=path).exists()
    # The facet stays on the identifier that sent it.
    assert DatasetFacet.objects.filter(dataset=path, name="symlinks").count() == 1


def test_lineage_on_path_moves_when_symlinked(client, pipeline_key, corpus_dir):
    events = load_case(corpus_dir, "04-symlink-path-vs-table-name")
    # An earlier run wrote the path without a symlinks facet.
    earlier = json.loads(json.dumps(events[0]))
    earlier["run"]["runId"] = "01934f5e-0000-7000-8000-000000000040"
    earlier["eventTime"] = "2024-05-01T12:00:00.000Z"
    del earlier["outputs"][0]["facets"]
    send_case(client, pipeline_key, [earlier])
    assert edges_of("ingest_orders") == [
        ("output", "s3://warehouse", "/sales.db/orders"),
    ]

    send_case(client, pipeline_key, events)

    assert edges_of("ingest_orders") == [
        ("output", "hive://metastore.example.com:9083", "sales.orders"),
    ]
    edge = LineageEdge.objects.get(job__name="ingest_orders")
    assert edge.first_seen_at == at("2024-05-01T12:00:00")
    assert edge.last_seen_at == at("2024-05-01T13:00:00")
    assert edges_of("report.build") == [
        ("input", "hive://metastore.example.com:9083", "sales.orders"),
        ("output", "hive://metastore.example.com:9083", "sales.orders_report"),
    ]
    table_versions = RunDataset.objects.filter(
        dataset__name="sales.orders", direction="output"
    )
    assert sorted(str(rd.run.run_id)[-2:] for rd in table_versions) == ["40", "41"]
    assert not RunDataset.objects.filter(dataset__name="/sales.db/orders").exists()


def test_table_seen_before_symlinked_path(client, pipeline_key, corpus_dir):
    events = load_case(corpus_dir, "04-symlink-path-vs-table-name")
    send_case(client, pipeline_key, list(reversed(events)))

    assert edges_of("ingest_orders") == [
        ("output", "hive://metastore.example.com:9083", "sales.orders"),
    ]
    assert edges_of("report.build") == [
        ("input", "hive://metastore.example.com:9083", "sales.orders"),
        ("output", "hive://metastore.example.com:9083", "sales.orders_report"),
    ]


def test_parent_facet_with_empty_run_links_job_only(client, pipeline_key, corpus_dir):
    [response] = send_case(
        client,
        pipeline_key,
        load_case(corpus_dir, "06-parent-facet-empty-run-and-null-facet"),
    )

    assert response.status_code == 201
    warned_fields = [warning["field"] for warning in response.json()["warnings"]]
    assert warned_fields == ["run.facets.nominalTime", "run.facets.parent.run.runId"]
    run = Run.objects.get()
    assert run.run_id == UUID("01934f5e-0000-7000-8000-000000000006")
    assert run.parent is None
    assert run.state == "START"
    job = Job.objects.get(name="notebook.cell_3")
    assert job.parent.namespace.name == "databricks"
    assert job.parent.name == "workspace-host.example.com"
    facet_names = sorted(
        RunFacet.objects.filter(run=run).values_list("name", flat=True)
    )
    assert facet_names == ["parent"]


def test_datasource_facet_without_uri_is_kept(client, pipeline_key, corpus_dir):
    send_case(
        client, pipeline_key, load_case(corpus_dir, "07-datasource-facet-without-uri")
    )

    facet = DatasetFacet.objects.get(
        dataset__namespace__name="imdb", dataset__name="movies", name="dataSource"
    )
    assert facet.payload["name"] == "movies.csv"
    assert "uri" not in facet.payload
    assert facet.valid is True
    assert edges_of("a-job") == [("input", "imdb", "movies")]


def test_jobevent_declares_edges_without_run(client, pipeline_key, corpus_dir):
    send_case(client, pipeline_key, load_case(corpus_dir, "08-jobevent-static-lineage"))

    assert Run.objects.count() == 0
    assert RunDataset.objects.count() == 0
    assert edges_of("planned_join_job") == [
        ("input", "static_design", "orders"),
        ("input", "static_design", "users"),
        ("output", "static_design", "users_orders"),
    ]
    for edge in LineageEdge.objects.all():
        assert edge.declared is True
        assert edge.seen_in_runs is False
        assert edge.first_seen_at == at("2024-05-01T18:00:00")
    sql = JobFacet.objects.get(job__name="planned_join_job", name="sql")
    assert sql.payload["query"].startswith("SELECT * FROM users JOIN orders")


def test_abfss_namespace_kept_as_sent(client, pipeline_key, corpus_dir):
    send_case(
        client, pipeline_key, load_case(corpus_dir, "11-abfss-namespace-with-at-sign")
    )

    assert sorted(Namespace.objects.values_list("name", flat=True)) == [
        "abfss://bronze@storageacct.dfs.core.windows.net",
        "abfss://landingzone@storageacct.dfs.core.windows.net",
        "adb-1234567890.0.azuredatabricks.net",
    ]
    assert edges_of("landing_to_bronze") == [
        (
            "input",
            "abfss://landingzone@storageacct.dfs.core.windows.net",
            "/raw/events/2024/05/01",
        ),
        ("output", "abfss://bronze@storageacct.dfs.core.windows.net", "/events"),
    ]


def test_complete_without_parent_facet_keeps_parent(client, pipeline_key, corpus_dir):
    send_case(
        client, pipeline_key, load_case(corpus_dir, "13-complete-without-parent-facet")
    )

    run = Run.objects.get(run_id=UUID("01934f5e-0000-7000-8000-000000000013"))
    assert run.state == "COMPLETE"
    assert run.started_at == at("2024-05-02T01:00:00")
    assert run.ended_at == at("2024-05-02T01:02:00")
    assert run.parent.run_id == UUID("01934f5e-0000-7000-8000-000000000130")
    assert run.parent.job.name == "orders_dag"
    assert run.parent.state == ""
    assert run.job.name == "orders_dag.extract"
    assert run.job.parent.name == "orders_dag"
    assert Job.objects.filter(name="orders_dag.extract").count() == 1
    assert Run.objects.filter(job__name="orders_dag.extract").count() == 1
    assert edges_of("orders_dag.extract") == [
        ("input", "mysql://mysql.example.com:3306", "shop.orders"),
        ("output", "s3://lake", "/orders/2024-05-02"),
    ]


def test_running_event_without_io_keeps_edges(client, pipeline_key, corpus_dir):
    send_case(
        client,
        pipeline_key,
        load_case(corpus_dir, "15-streaming-running-event-without-io"),
    )

    run = Run.objects.get()
    assert run.state == "RUNNING"
    assert run.state_time == at("2024-05-02T03:05:00")
    assert run.started_at == at("2024-05-02T03:00:00")
    assert run.ended_at is None
    assert edges_of("orders_enricher") == [
        ("input", "kafka://broker.example.com:9092", "orders"),
        ("output", "kafka://broker.example.com:9092", "orders_enriched"),
    ]
    assert RunDataset.objects.filter(run=run).count() == 2
    assert Job.objects.get(name="orders_enricher").last_event_time == at(
        "2024-05-02T03:05:00"
    )


def test_unknown_datasets_and_namespaces_are_created(client, pipeline_key, corpus_dir):
    send_case(
        client,
        pipeline_key,
        load_case(corpus_dir, "17-unknown-datasets-must-not-be-dropped"),
    )

    assert sorted(Namespace.objects.values_list("name", flat=True)) == [
        "postgres://pg.example.com:5432",
        "spark",
    ]
    assert sorted(Dataset.objects.values_list("name", flat=True)) == [
        "crm.public.contacts",
        "crm.public.contacts_clean",
    ]
    assert Namespace.objects.get(name="spark").first_seen_at == at(
        "2024-05-02T05:00:00"
    )
    assert edges_of("first_ever_job") == [
        ("input", "postgres://pg.example.com:5432", "crm.public.contacts"),
        ("output", "postgres://pg.example.com:5432", "crm.public.contacts_clean"),
    ]
