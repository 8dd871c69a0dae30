import json

import pytest

from lineage import graph
from lineage.models import Dataset, Job
from lineage.services import ingest_payloads
from tests.factories import make_dataset, make_job, make_reads, make_writes


@pytest.fixture
def reader(client, consumer):
    client.force_login(consumer)
    return client


def send_case(corpus_dir, name: str) -> None:
    events = json.loads((corpus_dir / "cases" / f"{name}.json").read_text())
    for event in events:
        (outcome,) = ingest_payloads([event])
        assert outcome.error is None, outcome.error


def all_node_ids() -> list[tuple[str, str]]:
    """Return (node id, id of the node it resolves to) for every dataset and job."""
    pairs = []
    for dataset in Dataset.objects.select_related("namespace", "canonical__namespace"):
        target = dataset.canonical or dataset
        pairs.append((graph.dataset_node_id(dataset), graph.dataset_node_id(target)))
    for job in Job.objects.select_related("namespace"):
        pairs.append((graph.job_node_id(job), graph.job_node_id(job)))
    return pairs


def test_split_points_longest_namespace_first():
    assert graph.split_points("trino://host:1337:db.t:copy") == [
        ("trino://host:1337:db.t", "copy"),
        ("trino://host:1337", "db.t:copy"),
        ("trino://host", "1337:db.t:copy"),
        ("trino", "//host:1337:db.t:copy"),
    ]


def test_split_points_skip_empty_parts():
    assert graph.split_points(":a:") == []
    assert graph.split_points("a::b") == [("a:", "b"), ("a", ":b")]


def test_field_split_points_cover_every_pair():
    assert graph.split_points("a:b:c:d", parts=3) == [
        ("a:b", "c", "d"),
        ("a", "b:c", "d"),
        ("a", "b", "c:d"),
    ]


@pytest.mark.parametrize(
    "case", ["09-namespace-uri-colons-break-node-id", "11-abfss-namespace-with-at-sign"]
)
def test_every_node_of_case_round_trips(reader, corpus_dir, case):
    send_case(corpus_dir, case)
    pairs = all_node_ids()
    assert len(pairs) == 3

    for node_id, expected_root in pairs:
        response = reader.get("/api/v1/lineage", {"nodeId": node_id, "depth": 0})

        assert response.status_code == 200, node_id
        assert response.json()["root"] == expected_root
        assert [node["id"] for node in response.json()["graph"]] == [expected_root]


def test_case_09_node_ids_are_exact(reader, corpus_dir):
    send_case(corpus_dir, "09-namespace-uri-colons-break-node-id")

    body = reader.get(
        "/api/v1/lineage",
        {
            "nodeId": "job:trino://trino.example.com:1337:query_20240501_190000_00001_abcde"
        },
    ).json()

    assert [node["id"] for node in body["graph"]] == [
        "dataset:oracle://oracledb.example.com:1521:ORCL.CDC.TEST_01",
        "dataset:trino://trino.example.com:1337:hive.analytics.test_01:copy",
        "job:trino://trino.example.com:1337:query_20240501_190000_00001_abcde",
    ]
    copy = body["graph"][1]["data"]
    assert copy["namespace"] == "trino://trino.example.com:1337"
    assert copy["name"] == "hive.analytics.test_01:copy"


def test_case_11_namespace_kept_with_at_sign(reader, corpus_dir):
    send_case(corpus_dir, "11-abfss-namespace-with-at-sign")

    body = reader.get(
        "/api/v1/lineage",
        {"nodeId": "dataset:abfss://bronze@storageacct.dfs.core.windows.net:/events"},
    ).json()

    assert body["root"] == (
        "dataset:abfss://bronze@storageacct.dfs.core.windows.net:/events"
    )
    assert [node["id"] for node in body["graph"]] == [
        "dataset:abfss://bronze@storageacct.dfs.core.windows.net:/events",
        "dataset:abfss://landingzone@storageacct.dfs.core.windows.net:/raw/events/2024/05/01",
        "job:adb-1234567890.0.azuredatabricks.net:landing_to_bronze",
    ]


def test_case_04_upstream_crosses_table(reader, corpus_dir):
    send_case(corpus_dir, "04-symlink-path-vs-table-name")

    body = reader.get(
        "/api/v1/lineage",
        {"nodeId": "job:airflow:report.build", "direction": "upstream"},
    ).json()

    table = "dataset:hive://metastore.example.com:9083:sales.orders"
    assert [node["id"] for node in body["graph"]] == [
        table,
        "job:airflow:report.build",
        "job:spark:ingest_orders",
    ]
    nodes = {node["id"]: node for node in body["graph"]}
    assert nodes[table]["inEdges"] == [
        {"origin": "job:spark:ingest_orders", "destination": table}
    ]
    assert nodes[table]["outEdges"] == [
        {"origin": table, "destination": "job:airflow:report.build"}
    ]
    assert nodes[table]["data"]["aliases"] == [
        {"namespace": "s3://warehouse", "name": "/sales.db/orders"}
    ]


def test_case_04_path_alias_gives_table_graph(reader, corpus_dir):
    send_case(corpus_dir, "04-symlink-path-vs-table-name")

    body = reader.get(
        "/api/v1/lineage",
        {"nodeId": "dataset:s3://warehouse:/sales.db/orders", "depth": 1},
    ).json()

    assert body["root"] == "dataset:hive://metastore.example.com:9083:sales.orders"
    assert len(body["graph"]) == 3


@pytest.mark.parametrize(
    ("namespace", "name"),
    [
        ("s3://bucket", "path with spaces/part-0.parquet"),
        ("postgres://db.example.com:5432", "public.café_ünïcode"),
        ("kafka://broker:9092", "topic@v2:events"),
        ("file", "/tmp/a%20b"),
        ("bigquery", "project:dataset.table"),
        ("hdfs://nn:8020", "/data:2024/x:"),
    ],
)
def test_unusual_names_round_trip(reader, db, namespace, name):
    dataset = make_dataset(namespace, name)
    node_id = graph.dataset_node_id(dataset)

    body = reader.get("/api/v1/lineage", {"nodeId": node_id, "depth": 0}).json()

    assert body["root"] == node_id
    assert body["graph"][0]["data"]["pk"] == dataset.pk


def test_ambiguous_id_picks_longest_namespace(reader, db):
    make_dataset("trino://host:1337", "db.t")
    longer = make_dataset("trino://host", "1337:db.t")
    longest = make_dataset("trino://host:1337:db", "t")

    body = reader.get(
        "/api/v1/lineage", {"nodeId": "dataset:trino://host:1337:db:t", "depth": 0}
    ).json()
    assert body["graph"][0]["data"]["pk"] == longest.pk

    body = reader.get(
        "/api/v1/lineage", {"nodeId": "dataset:trino://host:1337:db.t", "depth": 0}
    ).json()
    assert body["graph"][0]["data"]["pk"] != longer.pk
    assert body["graph"][0]["data"]["namespace"] == "trino://host:1337"


def test_literal_percent_wins(reader, db):
    literal = make_dataset("file", "/tmp/a%20b")
    make_dataset("file", "/tmp/a b")

    body = reader.get(
        "/api/v1/lineage", {"nodeId": "dataset:file:/tmp/a%20b", "depth": 0}
    ).json()

    assert body["graph"][0]["data"]["pk"] == literal.pk


def test_encoded_id_decoded_as_fallback(reader, db):
    make_dataset("abfss://c@acct.dfs.core.windows.net", "/x")

    response = reader.get(
        "/api/v1/lineage",
        {"nodeId": "dataset%3Aabfss%3A%2F%2Fc%40acct.dfs.core.windows.net%3A%2Fx"},
    )

    assert response.status_code == 200
    assert response.json()["root"] == "dataset:abfss://c@acct.dfs.core.windows.net:/x"


def test_same_name_job_and_dataset(reader, db):
    dataset = make_dataset("ns", "etl")
    job = make_job("ns", "etl")
    make_writes(job, dataset)
    make_reads(make_job("ns", "other"), dataset)

    body = reader.get("/api/v1/lineage", {"nodeId": "job:ns:etl", "depth": 0}).json()

    assert body["graph"][0]["type"] == "JOB"
    assert body["graph"][0]["data"]["pk"] == job.pk
