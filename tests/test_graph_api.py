import pytest

from lineage import graph
from lineage.models import Dataset
from tests.factories import (
    SEEN_AT,
    make_dataset,
    make_job,
    make_reads,
    make_run,
    make_writes,
)

RAW = "dataset:s3://lake:/raw/orders"
INGEST = "job:spark:ingest_orders"
ORDERS = "dataset:hive://metastore.example.com:9083:sales.orders"
REPORT_JOB = "job:airflow:report.build"
REPORT = "dataset:hive://metastore.example.com:9083:sales.orders_report"
ALIAS = "dataset:s3://warehouse:/sales.db/orders"


@pytest.fixture
def chain(db):
    """raw -> ingest_orders -> sales.orders -> report.build -> sales.orders_report.

    `s3://warehouse` `/sales.db/orders` is an alias of `sales.orders`.
    """
    raw = make_dataset("s3://lake", "/raw/orders")
    orders = make_dataset(
        "hive://metastore.example.com:9083",
        "sales.orders",
        fields=[{"name": "id", "type": "bigint"}],
    )
    make_dataset("s3://warehouse", "/sales.db/orders", canonical=orders)
    report = make_dataset("hive://metastore.example.com:9083", "sales.orders_report")
    ingest = make_job("spark", "ingest_orders")
    report_job = make_job("airflow", "report.build")
    make_reads(ingest, raw)
    make_writes(ingest, orders)
    make_reads(report_job, orders)
    make_writes(report_job, report)
    return {"raw": raw, "orders": orders, "ingest": ingest, "report_job": report_job}


@pytest.fixture
def reader(client, consumer):
    client.force_login(consumer)
    return client


def get_graph(client, node_id, **params):
    return client.get("/api/v1/lineage", {"nodeId": node_id, **params})


def node_ids(body):
    return [node["id"] for node in body["graph"]]


def edges_of(body):
    return {
        node["id"]: (
            [edge["origin"] for edge in node["inEdges"]],
            [edge["destination"] for edge in node["outEdges"]],
        )
        for node in body["graph"]
    }


def test_depth_zero_returns_root_alone(reader, chain):
    response = get_graph(reader, ORDERS, depth=0)

    assert response.status_code == 200
    body = response.json()
    assert body["root"] == ORDERS
    assert body["truncated"] is False
    assert node_ids(body) == [ORDERS]
    assert edges_of(body) == {ORDERS: ([], [])}


def test_depth_one_returns_neighbours_and_edges(reader, chain):
    body = get_graph(reader, ORDERS, depth=1).json()

    assert node_ids(body) == sorted([ORDERS, INGEST, REPORT_JOB])
    assert edges_of(body) == {
        ORDERS: ([INGEST], [REPORT_JOB]),
        INGEST: ([], [ORDERS]),
        REPORT_JOB: ([ORDERS], []),
    }


def test_depth_two_reaches_both_ends(reader, chain):
    body = get_graph(reader, ORDERS, depth=2).json()

    assert node_ids(body) == sorted([RAW, INGEST, ORDERS, REPORT_JOB, REPORT])
    assert edges_of(body) == {
        RAW: ([], [INGEST]),
        INGEST: ([RAW], [ORDERS]),
        ORDERS: ([INGEST], [REPORT_JOB]),
        REPORT_JOB: ([ORDERS], [REPORT]),
        REPORT: ([REPORT_JOB], []),
    }


def test_default_depth_walks_whole_chain(reader, chain):
    body = get_graph(reader, RAW).json()

    assert node_ids(body) == sorted([RAW, INGEST, ORDERS, REPORT_JOB, REPORT])


def test_upstream_direction_skips_readers(reader, chain):
    body = get_graph(reader, ORDERS, direction="upstream").json()

    assert node_ids(body) == sorted([RAW, INGEST, ORDERS])
    assert edges_of(body)[ORDERS] == ([INGEST], [])


def test_downstream_direction_skips_writers(reader, chain):
    body = get_graph(reader, INGEST, direction="downstream").json()

    assert node_ids(body) == sorted([INGEST, ORDERS, REPORT_JOB, REPORT])


def test_both_directions_leave_out_siblings(reader, chain):
    sibling = make_job("airflow", "audit.orders")
    make_reads(sibling, chain["orders"])

    body = get_graph(reader, REPORT_JOB, direction="both").json()

    assert "job:airflow:audit.orders" not in node_ids(body)
    assert INGEST in node_ids(body)


def test_dataset_node_data_exact(reader, chain):
    body = get_graph(reader, ORDERS, depth=1).json()

    orders = chain["orders"]
    node = next(node for node in body["graph"] if node["id"] == ORDERS)
    assert node["type"] == "DATASET"
    assert node["data"] == {
        "id": {
            "namespace": "hive://metastore.example.com:9083",
            "name": "sales.orders",
        },
        "namespace": "hive://metastore.example.com:9083",
        "name": "sales.orders",
        "type": None,
        "fields": [{"name": "id", "type": "bigint"}],
        "facetNames": [],
        "aliases": [{"namespace": "s3://warehouse", "name": "/sales.db/orders"}],
        "createdAt": "2024-05-01T12:00:00Z",
        "updatedAt": "2024-05-01T12:00:00Z",
        "pk": orders.pk,
        "url": f"/datasets/{orders.pk}/",
    }


def test_job_node_data_exact(reader, chain):
    job = chain["report_job"]
    run = make_run(job, ended_at=SEEN_AT.replace(minute=1, second=30))

    body = get_graph(reader, REPORT_JOB, depth=0).json()

    node = body["graph"][0]
    assert node["type"] == "JOB"
    assert node["data"] == {
        "id": {"namespace": "airflow", "name": "report.build"},
        "namespace": "airflow",
        "name": "report.build",
        "parentJobName": None,
        "createdAt": "2024-05-01T12:00:00Z",
        "updatedAt": "2024-05-01T12:00:00Z",
        "inputs": [
            {"namespace": "hive://metastore.example.com:9083", "name": "sales.orders"}
        ],
        "outputs": [
            {
                "namespace": "hive://metastore.example.com:9083",
                "name": "sales.orders_report",
            }
        ],
        "inputCount": 1,
        "outputCount": 1,
        "latestRun": {
            "id": str(run.run_id),
            "state": "COMPLETE",
            "startedAt": "2024-05-01T12:00:00Z",
            "endedAt": "2024-05-01T12:01:30Z",
            "durationMs": 90_000,
            "nominalStartTime": None,
            "nominalEndTime": None,
        },
        "pk": job.pk,
        "url": f"/jobs/{job.pk}/",
    }


def test_latest_run_is_newest_by_first_event(reader, chain):
    job = chain["report_job"]
    make_run(job, started_at=SEEN_AT, state="FAIL")
    newest = make_run(job, started_at=SEEN_AT.replace(hour=13), state="RUNNING")
    make_run(job, started_at=None, state="START")

    body = get_graph(reader, REPORT_JOB, depth=0).json()

    assert body["graph"][0]["data"]["latestRun"]["id"] == str(newest.run_id)


def test_alias_resolves_to_canonical(reader, chain):
    body = get_graph(reader, ALIAS, depth=1).json()

    assert body["root"] == ORDERS
    assert node_ids(body) == sorted([ORDERS, INGEST, REPORT_JOB])


def test_url_encoded_node_id_found(reader, chain):
    encoded = "dataset%3Ahive%3A%2F%2Fmetastore.example.com%3A9083%3Asales.orders"

    body = get_graph(reader, encoded, depth=0).json()

    assert body["root"] == ORDERS


def test_unknown_node_is_404(reader, chain):
    response = get_graph(reader, "dataset:hive:missing")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "Node 'dataset:hive:missing' not found: no dataset or job "
            "has that namespace and name.",
            "field": "nodeId",
        }
    }


@pytest.mark.parametrize(
    "node_id", ["orders", "table:hive:orders", "job:spark", "job::x"]
)
def test_malformed_node_id_is_400(reader, chain, node_id):
    response = get_graph(reader, node_id)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "nodeId"
    assert response.json()["error"]["message"] == (
        f"Invalid node id {node_id!r}: expected dataset:<namespace>:<name> or "
        "job:<namespace>:<name>."
    )


def test_missing_node_id_is_400(reader, chain):
    response = reader.get("/api/v1/lineage")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "required",
        "message": "This field is required.",
        "field": "nodeId",
    }


@pytest.mark.parametrize(
    ("depth", "message"),
    [
        ("-1", "Ensure this value is greater than or equal to 0."),
        ("51", "Ensure this value is less than or equal to 50."),
        ("two", "A valid integer is required."),
    ],
)
def test_invalid_depth_is_400(reader, chain, depth, message):
    response = get_graph(reader, ORDERS, depth=depth)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "depth"
    assert response.json()["error"]["message"] == message


def test_invalid_direction_is_400(reader, chain):
    response = get_graph(reader, ORDERS, direction="sideways")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "direction"


def test_graph_query_count_fixed(client, reader_key, chain, django_assert_num_queries):
    for number in range(5):
        extra = make_job("spark", f"extra_{number}")
        make_reads(extra, chain["orders"])
        make_run(extra)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader_key}"}

    # API key, node id, one per level, then datasets and jobs with their edges.
    with django_assert_num_queries(6):
        response = client.get(
            "/api/v1/lineage", {"nodeId": ORDERS, "depth": 2}, **headers
        )

    assert response.status_code == 200
    assert len(response.json()["graph"]) == 10


def test_graph_truncated_past_node_limit(reader, chain, monkeypatch):
    monkeypatch.setattr(graph, "MAX_NODES", 3)

    body = get_graph(reader, ORDERS).json()

    assert body["truncated"] is True
    assert node_ids(body) == sorted([ORDERS, INGEST, REPORT_JOB])


def test_walk_cut_keeps_lowest_ids(chain):
    root = graph.NodeRef(graph.DATASET, chain["orders"].pk)

    refs, truncated = graph.walk_node_refs(root, depth=5, max_nodes=2)

    assert truncated is True
    assert refs == [root, graph.NodeRef(graph.JOB, chain["ingest"].pk)]


def test_anonymous_is_401(client, chain):
    response = get_graph(client, ORDERS)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_write_only_key_is_403(client, pipeline_key, chain):
    response = client.get(
        "/api/v1/lineage",
        {"nodeId": ORDERS},
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 403
    assert response.json()["error"] == {
        "code": "permission_denied",
        "message": "This API key lacks the read scope.",
        "field": None,
    }


def test_read_key_allowed(client, reader_key, chain):
    response = client.get(
        "/api/v1/lineage",
        {"nodeId": ORDERS},
        HTTP_AUTHORIZATION=f"Bearer {reader_key}",
    )

    assert response.status_code == 200
    assert response.json()["root"] == ORDERS


def test_alias_chain_resolves_to_last_canonical(reader, chain):
    path = make_dataset("s3://old", "/orders")
    Dataset.objects.filter(name="/sales.db/orders").update(canonical=path)
    Dataset.objects.filter(pk=path.pk).update(canonical=chain["orders"])

    body = get_graph(reader, ALIAS, depth=0).json()

    assert body["root"] == ORDERS


def test_times_keep_microseconds(reader, chain):
    make_run(
        chain["report_job"],
        started_at=SEEN_AT.replace(microsecond=123456),
        ended_at=SEEN_AT.replace(second=1, microsecond=120),
    )

    body = get_graph(reader, REPORT_JOB, depth=0).json()

    latest_run = body["graph"][0]["data"]["latestRun"]
    assert latest_run["startedAt"] == "2024-05-01T12:00:00.123456Z"
    assert latest_run["endedAt"] == "2024-05-01T12:00:01.000120Z"
    assert latest_run["durationMs"] == 876


def test_node_id_with_too_many_colons_is_400(reader, chain):
    node_id = "dataset:" + ":" * 70

    response = get_graph(reader, node_id)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Invalid node id with 71 colons: the maximum is 64. Find the "
        "dataset or job through /api/v1/datasets or /api/v1/jobs.",
        "field": "nodeId",
    }


def test_node_id_too_long_is_400(reader, chain):
    response = get_graph(reader, "dataset:s3:" + "x" * 9000)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Invalid node id of 9011 characters: the maximum is 8192."
    )


def test_job_datasets_listed_up_to_cap_with_counts(reader, db):
    job = make_job("brk", "wide")
    inputs = [make_dataset("brk", f"in{index:03}") for index in range(102)]
    make_reads(job, *inputs)
    make_writes(job, make_dataset("brk", "out"))

    body = get_graph(reader, "job:brk:wide", depth=1, direction="upstream").json()

    data = next(node for node in body["graph"] if node["id"] == "job:brk:wide")
    assert graph.MAX_JOB_DATASETS == 100
    assert data["data"]["inputCount"] == 102
    assert [item["name"] for item in data["data"]["inputs"]] == [
        f"in{index:03}" for index in range(100)
    ]
    assert data["data"]["outputs"] == [{"namespace": "brk", "name": "out"}]
    assert data["data"]["outputCount"] == 1
    # Edges still reach every dataset of the graph, listed or not.
    assert len(data["inEdges"]) == 102
    assert data["outEdges"] == []


@pytest.mark.parametrize("node_id", ["job:%00:x", "dataset:brk:a%00"])
def test_decoded_nul_in_node_id_is_400(reader, chain, node_id):
    response = get_graph(reader, node_id)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Invalid node id: it contains a NUL character, which no name "
        "can hold.",
        "field": "nodeId",
    }
