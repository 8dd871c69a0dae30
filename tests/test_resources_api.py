import json
import uuid
from urllib.parse import quote

import pytest

from core.errors import ApiError
from lineage.api.resources import resolve_path
from lineage.models import DatasetFacet, SchemaVersion
from lineage.services import ingest_payloads
from tests.factories import (
    SEEN_AT,
    make_dataset,
    make_job,
    make_namespace,
    make_reads,
    make_run,
    make_writes,
)

ABFSS = "abfss://c@acct.dfs.core.windows.net"


@pytest.fixture
def reader(client, consumer):
    client.force_login(consumer)
    return client


@pytest.fixture
def key_headers(reader_key):
    return {"HTTP_AUTHORIZATION": f"Bearer {reader_key}"}


@pytest.fixture
def estate(db):
    """Datasets in s3://bucket and abfss, written and read by airflow jobs."""
    events = make_dataset(
        ABFSS,
        "/raw/events",
        fields=[
            {
                "name": "payload",
                "type": "struct",
                "fields": [{"name": "user", "type": "string"}],
            }
        ],
    )
    orders = make_dataset("s3://bucket", "/orders")
    summary = make_dataset("s3://bucket", "/orders/summary")
    load = make_job("airflow", "load_events")
    build = make_job("airflow", "build_summary")
    make_writes(load, events)
    make_reads(build, events, orders)
    make_writes(build, summary)
    return {
        "events": events,
        "orders": orders,
        "summary": summary,
        "load": load,
        "build": build,
    }


def encoded(text: str) -> str:
    return quote(text, safe="")


def test_namespaces_listed_with_counts(reader, estate):
    response = reader.get("/api/v1/namespaces")

    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {
                "name": ABFSS,
                "createdAt": "2024-05-01T12:00:00Z",
                "jobCount": 0,
                "datasetCount": 1,
            },
            {
                "name": "airflow",
                "createdAt": "2024-05-01T12:00:00Z",
                "jobCount": 2,
                "datasetCount": 0,
            },
            {
                "name": "s3://bucket",
                "createdAt": "2024-05-01T12:00:00Z",
                "jobCount": 0,
                "datasetCount": 2,
            },
        ],
    }


def test_namespaces_filtered_and_paginated(reader, estate):
    body = reader.get("/api/v1/namespaces", {"nameContains": "://", "limit": 1}).json()

    assert body["count"] == 2
    assert [item["name"] for item in body["results"]] == [ABFSS]
    assert body["next"].endswith("limit=1&nameContains=%3A%2F%2F&offset=1")


def test_namespace_list_query_count(
    client, key_headers, estate, django_assert_num_queries
):
    # API key, count, page.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/namespaces", **key_headers)

    assert response.status_code == 200


@pytest.mark.parametrize("namespace", ["s3://bucket", encoded("s3://bucket")])
def test_datasets_of_namespace_encoded_or_not(reader, estate, namespace):
    response = reader.get(f"/api/v1/namespaces/{namespace}/datasets")

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["results"]] == [
        "/orders",
        "/orders/summary",
    ]


def test_dataset_list_item_exact(reader, estate):
    body = reader.get(f"/api/v1/namespaces/{encoded(ABFSS)}/datasets").json()

    pk = estate["events"].pk
    assert body["results"] == [
        {
            "id": {"namespace": ABFSS, "name": "/raw/events"},
            "namespace": ABFSS,
            "name": "/raw/events",
            "canonical": None,
            "createdAt": "2024-05-01T12:00:00Z",
            "updatedAt": "2024-05-01T12:00:00Z",
            "pk": pk,
            "url": f"/datasets/{pk}/",
        }
    ]


def test_dataset_list_query_count(
    client, key_headers, estate, django_assert_num_queries
):
    for number in range(5):
        make_dataset("s3://bucket", f"/extra/{number}")

    # API key, path, count, page.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/namespaces/s3://bucket/datasets", **key_headers)

    assert response.json()["count"] == 7


def test_dataset_detail_with_schema_versions(reader, estate):
    events = estate["events"]
    DatasetFacet.objects.create(
        dataset=events,
        name="dataSource",
        payload={"name": "landing"},
        event_time=SEEN_AT,
    )
    old = SchemaVersion.objects.create(
        dataset=events,
        fingerprint="0" * 64,
        fields=[{"name": "payload", "type": "string"}],
        first_seen_at=SEEN_AT.replace(hour=1),
        last_seen_at=SEEN_AT.replace(hour=2),
    )

    response = reader.get(
        f"/api/v1/namespaces/{encoded(ABFSS)}/datasets/{encoded('/raw/events')}"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == {"namespace": ABFSS, "name": "/raw/events"}
    assert body["fields"] == [
        {
            "name": "payload",
            "type": "struct",
            "fields": [{"name": "user", "type": "string"}],
        }
    ]
    assert body["currentSchemaTime"] == "2024-05-01T12:00:00Z"
    assert [version["pk"] for version in body["schemaVersions"]] == [
        events.current_schema_id,
        old.pk,
    ]
    assert body["schemaVersions"][1] == {
        "pk": old.pk,
        "fingerprint": "0" * 64,
        "fields": [{"name": "payload", "type": "string"}],
        "firstSeenAt": "2024-05-01T01:00:00Z",
        "lastSeenAt": "2024-05-01T02:00:00Z",
    }
    assert body["producers"] == [{"namespace": "airflow", "name": "load_events"}]
    assert body["consumers"] == [{"namespace": "airflow", "name": "build_summary"}]
    assert body["facets"] == {"dataSource": {"name": "landing"}}
    assert body["aliases"] == []


def test_dataset_name_with_slashes_unencoded(reader, estate):
    response = reader.get("/api/v1/namespaces/s3://bucket/datasets//orders/summary")

    assert response.status_code == 200
    assert response.json()["pk"] == estate["summary"].pk


def test_dataset_detail_query_count(
    client, key_headers, estate, django_assert_num_queries
):
    # API key, path, dataset, aliases, schema versions, versions, edges, facets.
    with django_assert_num_queries(8):
        response = client.get(
            "/api/v1/namespaces/s3://bucket/datasets//orders", **key_headers
        )

    assert response.status_code == 200


def test_jobs_of_namespace_with_latest_run(reader, estate):
    run = make_run(estate["build"], state="FAIL")

    body = reader.get("/api/v1/namespaces/airflow/jobs").json()

    build = estate["build"]
    assert body["count"] == 2
    assert body["results"][0] == {
        "id": {"namespace": "airflow", "name": "build_summary"},
        "namespace": "airflow",
        "name": "build_summary",
        "parentJobName": None,
        "createdAt": "2024-05-01T12:00:00Z",
        "updatedAt": "2024-05-01T12:00:00Z",
        "latestRun": {"id": str(run.run_id), "state": "FAIL"},
        "pk": build.pk,
        "url": f"/jobs/{build.pk}/",
    }
    assert body["results"][1]["latestRun"] is None


def test_jobs_filtered_by_state(reader, estate):
    make_run(estate["build"], state="FAIL")

    failed = reader.get("/api/v1/namespaces/airflow/jobs", {"state": "FAIL"}).json()
    never = reader.get("/api/v1/namespaces/airflow/jobs", {"state": "NONE"}).json()

    assert [job["name"] for job in failed["results"]] == ["build_summary"]
    assert [job["name"] for job in never["results"]] == ["load_events"]


@pytest.mark.parametrize("path", ["/api/v1/namespaces/airflow/jobs", "/api/v1/jobs"])
def test_jobs_invalid_state_is_400(reader, estate, path):
    response = reader.get(path, {"state": "DONE"})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "state"
    assert response.json()["error"]["message"] == (
        "Select a valid choice. DONE is not one of the available choices."
    )


def test_job_list_query_count(client, key_headers, estate, django_assert_num_queries):
    for number in range(5):
        make_run(make_job("airflow", f"extra_{number}", parent=estate["load"]))

    # API key, path, count, page.
    with django_assert_num_queries(4):
        response = client.get("/api/v1/namespaces/airflow/jobs", **key_headers)

    assert response.json()["count"] == 7


def test_job_detail_exact(reader, estate):
    build = estate["build"]
    run = make_run(build, ended_at=SEEN_AT.replace(minute=2))

    body = reader.get("/api/v1/namespaces/airflow/jobs/build_summary").json()

    assert body == {
        "id": {"namespace": "airflow", "name": "build_summary"},
        "namespace": "airflow",
        "name": "build_summary",
        "parentJobName": None,
        "createdAt": "2024-05-01T12:00:00Z",
        "updatedAt": "2024-05-01T12:00:00Z",
        "latestRun": {
            "id": str(run.run_id),
            "state": "COMPLETE",
            "createdAt": "2024-05-01T12:00:00Z",
            "startedAt": "2024-05-01T12:00:00Z",
            "endedAt": "2024-05-01T12:02:00Z",
            "durationMs": 120_000,
            "nominalStartTime": None,
            "nominalEndTime": None,
        },
        "pk": build.pk,
        "url": f"/jobs/{build.pk}/",
        "inputs": [
            {"namespace": ABFSS, "name": "/raw/events"},
            {"namespace": "s3://bucket", "name": "/orders"},
        ],
        "outputs": [{"namespace": "s3://bucket", "name": "/orders/summary"}],
        "children": [],
        "facets": {},
    }


def test_job_runs_newest_first_paginated(reader, estate):
    build = estate["build"]
    make_run(build, started_at=SEEN_AT.replace(hour=1))
    newest = make_run(build, started_at=SEEN_AT.replace(hour=3))
    make_run(build, started_at=SEEN_AT.replace(hour=2))

    body = reader.get(
        "/api/v1/namespaces/airflow/jobs/build_summary/runs", {"limit": 1}
    ).json()

    assert body["count"] == 3
    assert [run["id"] for run in body["results"]] == [str(newest.run_id)]
    assert body["results"][0]["startedAt"] == "2024-05-01T03:00:00Z"


def test_job_runs_query_count(client, key_headers, estate, django_assert_num_queries):
    for hour in range(5):
        make_run(estate["build"], started_at=SEEN_AT.replace(hour=hour))

    # API key, path, count, page.
    with django_assert_num_queries(4):
        response = client.get(
            "/api/v1/namespaces/airflow/jobs/build_summary/runs", **key_headers
        )

    assert response.json()["count"] == 5


def test_job_named_runs_reachable(reader, estate):
    make_job("airflow", "export/runs")

    runs = reader.get("/api/v1/namespaces/airflow/jobs/build_summary/runs")
    job = reader.get("/api/v1/namespaces/airflow/jobs/export/runs")

    assert runs.json()["count"] == 0
    assert job.json()["name"] == "export/runs"


def test_namespace_ending_in_jobs_prefers_list(reader, estate):
    make_dataset("s3://bucket/jobs", "/x")

    listed = reader.get("/api/v1/namespaces/s3://bucket/jobs")
    datasets = reader.get("/api/v1/namespaces/s3://bucket/jobs/datasets")

    assert listed.json()["count"] == 0
    assert [item["namespace"] for item in datasets.json()["results"]] == [
        "s3://bucket/jobs"
    ]


def test_namespace_detail(reader, estate):
    response = reader.get(f"/api/v1/namespaces/{encoded(ABFSS)}")

    assert response.status_code == 200
    assert response.json() == {"name": ABFSS, "createdAt": "2024-05-01T12:00:00Z"}


def test_trailing_slash_accepted(reader, estate):
    response = reader.get("/api/v1/namespaces/airflow/jobs/")

    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing/jobs", "Namespace 'missing' not found."),
        ("airflow/jobs/missing", "Job 'missing' not found in namespace 'airflow'."),
        (
            "s3://bucket/datasets//missing",
            "Dataset '/missing' not found in namespace 's3://bucket'.",
        ),
    ],
)
def test_unknown_resource_is_404(reader, estate, path, message):
    response = reader.get(f"/api/v1/namespaces/{path}")

    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": message, "field": None}
    }


def test_query_parameters_find_dataset(reader, estate):
    body = reader.get(
        "/api/v1/datasets", {"namespace": "s3://bucket", "name": "/orders"}
    ).json()

    assert [item["pk"] for item in body["results"]] == [estate["orders"].pk]


def test_query_parameters_find_job(reader, estate):
    body = reader.get(
        "/api/v1/jobs", {"namespace": "airflow", "name": "load_events"}
    ).json()

    assert [item["pk"] for item in body["results"]] == [estate["load"].pk]


def test_dataset_and_job_by_pk(reader, estate):
    dataset = reader.get(f"/api/v1/datasets/{estate['orders'].pk}")
    job = reader.get(f"/api/v1/jobs/{estate['load'].pk}")

    assert dataset.json()["id"] == {"namespace": "s3://bucket", "name": "/orders"}
    assert job.json()["id"] == {"namespace": "airflow", "name": "load_events"}


def test_missing_pk_is_404(reader, estate):
    response = reader.get("/api/v1/datasets/999999")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "Dataset 999999 not found.",
        "field": None,
    }


def test_run_detail_from_ingested_events(reader, corpus_dir):
    events = json.loads(
        (corpus_dir / "cases" / "04-symlink-path-vs-table-name.json").read_text()
    )
    for event in events:
        (outcome,) = ingest_payloads([event])
        assert outcome.error is None

    response = reader.get("/api/v1/jobs/runs/01934f5e-0000-7000-8000-000000000042")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == "01934f5e-0000-7000-8000-000000000042"
    assert body["state"] == "COMPLETE"
    assert body["endedAt"] == "2024-05-01T14:00:00Z"
    assert body["job"]["namespace"] == "airflow"
    assert body["job"]["name"] == "report.build"
    hive = "hive://metastore.example.com:9083"
    assert [(i["namespace"], i["name"]) for i in body["inputs"]] == [
        (hive, "sales.orders")
    ]
    assert [(o["namespace"], o["name"]) for o in body["outputs"]] == [
        (hive, "sales.orders_report")
    ]
    assert body["parentRunId"] is None
    assert body["facets"] == {}
    assert [(e["eventType"], e["eventTime"]) for e in body["events"]] == [
        ("COMPLETE", "2024-05-01T14:00:00Z")
    ]


def test_run_detail_query_count(client, key_headers, estate, django_assert_num_queries):
    run = make_run(estate["build"])

    # API key, run, run datasets, child runs, facets, events.
    with django_assert_num_queries(6):
        response = client.get(f"/api/v1/jobs/runs/{run.run_id}", **key_headers)

    assert response.status_code == 200


def test_invalid_run_id_is_400(reader, estate):
    response = reader.get("/api/v1/jobs/runs/not-a-uuid")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Invalid runId 'not-a-uuid': expected a UUID.",
        "field": "runId",
    }


def test_unknown_run_is_404(reader, estate):
    run_id = uuid.UUID("01934f5e-0000-7000-8000-00000000dead")

    response = reader.get(f"/api/v1/jobs/runs/{run_id}")

    assert response.status_code == 404
    assert response.json()["error"]["field"] == "runId"


def test_case_11_namespace_round_trips_in_paths(reader, corpus_dir):
    events = json.loads(
        (corpus_dir / "cases" / "11-abfss-namespace-with-at-sign.json").read_text()
    )
    ingest_payloads(events)
    namespace = "abfss://landingzone@storageacct.dfs.core.windows.net"

    listed = reader.get(f"/api/v1/namespaces/{encoded(namespace)}/datasets").json()
    detail = reader.get(
        f"/api/v1/namespaces/{encoded(namespace)}/datasets/"
        f"{encoded('/raw/events/2024/05/01')}"
    )

    assert [item["namespace"] for item in listed["results"]] == [namespace]
    assert detail.status_code == 200
    assert detail.json()["name"] == "/raw/events/2024/05/01"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/namespaces",
        "/api/v1/namespaces/airflow/jobs",
        "/api/v1/jobs",
        "/api/v1/datasets",
    ],
)
def test_anonymous_is_401(client, estate, path):
    response = client.get(path)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_write_only_key_is_403(client, pipeline_key, estate):
    response = client.get(
        "/api/v1/namespaces", HTTP_AUTHORIZATION=f"Bearer {pipeline_key}"
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This API key lacks the read scope."


def test_read_key_allowed(client, key_headers, estate):
    response = client.get("/api/v1/namespaces/airflow/jobs", **key_headers)

    assert response.status_code == 200


def test_path_too_long_is_400(reader, estate):
    response = reader.get("/api/v1/namespaces/" + "a/jobs/" * 1200)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Invalid path of 8400 characters after namespaces/: the maximum is 8192."
    )


def test_case_09_colon_names_in_paths(reader, corpus_dir):
    events = json.loads(
        (
            corpus_dir / "cases" / "09-namespace-uri-colons-break-node-id.json"
        ).read_text()
    )
    ingest_payloads(events)
    namespace = encoded("trino://trino.example.com:1337")

    dataset = reader.get(
        f"/api/v1/namespaces/{namespace}/datasets/{encoded('hive.analytics.test_01:copy')}"
    )
    job = reader.get(
        f"/api/v1/namespaces/{namespace}/jobs/query_20240501_190000_00001_abcde"
    )

    assert dataset.status_code == 200
    assert dataset.json()["id"] == {
        "namespace": "trino://trino.example.com:1337",
        "name": "hive.analytics.test_01:copy",
    }
    assert job.status_code == 200
    assert job.json()["outputs"] == [
        {
            "namespace": "trino://trino.example.com:1337",
            "name": "hive.analytics.test_01:copy",
        }
    ]


@pytest.mark.parametrize("name", [" sp ", "\u2028ds\u2029"])
def test_name_filters_keep_outer_whitespace(reader, db, name):
    exact = make_dataset("brk", name)
    make_dataset("brk", name.strip())
    job = make_job("brk", name)
    make_job("brk", name.strip())

    datasets = reader.get("/api/v1/datasets", {"namespace": "brk", "name": name})
    jobs = reader.get("/api/v1/jobs", {"namespace": "brk", "name": name})

    assert [item["pk"] for item in datasets.json()["results"]] == [exact.pk]
    assert [item["pk"] for item in jobs.json()["results"]] == [job.pk]


def test_empty_name_filter_is_not_applied(reader, db):
    make_dataset("brk", "a")
    make_dataset("brk", "b")

    response = reader.get("/api/v1/datasets", {"name": ""})

    assert [item["name"] for item in response.json()["results"]] == ["a", "b"]


@pytest.mark.parametrize(
    "path", ["/api/v1/namespaces/brk%00x", "/api/v1/namespaces/brk/jobs/%00"]
)
def test_nul_in_resource_path_is_400(reader, db, path):
    make_namespace("brk")

    response = reader.get(path)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "path"


@pytest.mark.parametrize("rest", ["brk\x00x", "brk/jobs/\x00"])
def test_resolve_path_rejects_nul(db, rest):
    make_namespace("brk")

    with pytest.raises(ApiError) as raised:
        resolve_path(rest)

    assert raised.value.status_code == 400
    assert raised.value.field == "path"
    assert str(raised.value.detail) == "Invalid path: it contains a NUL character."
