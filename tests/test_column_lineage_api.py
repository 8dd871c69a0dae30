import json

import pytest

from lineage import column_graph
from lineage.column_graph import FieldRef
from lineage.models import ColumnLineageEdge
from lineage.services import ingest_payloads
from tests.factories import SEEN_AT, make_column_edge, make_dataset

HIVE = "hive://metastore.example.com:9083"
AMOUNT = f"datasetField:{HIVE}:sales.orders:amount"
ORDER_ID = f"datasetField:{HIVE}:sales.orders:id"
CENTS = "datasetField:s3://lake:/raw/orders:amount_cents"
TOTAL = f"datasetField:{HIVE}:sales.report:total"
REPORT_ID = f"datasetField:{HIVE}:sales.report:order_id"
SUM = {"type": "DIRECT", "subtype": "AGGREGATION", "description": "", "masking": False}
IDENTITY = {"type": "DIRECT", "subtype": "IDENTITY", "masking": False}
FIELD_SRC = "datasetField:brk:src:"


@pytest.fixture
def reader(client, consumer):
    client.force_login(consumer)
    return client


@pytest.fixture
def fields(db):
    """amount_cents -> amount -> total, and id -> order_id."""
    raw = make_dataset("s3://lake", "/raw/orders")
    orders = make_dataset(
        HIVE,
        "sales.orders",
        fields=[
            {"name": "id", "type": "bigint"},
            {"name": "amount", "type": "decimal"},
        ],
    )
    report = make_dataset(HIVE, "sales.report")
    make_column_edge(raw, "amount_cents", orders, "amount", [IDENTITY])
    make_column_edge(orders, "amount", report, "total", [SUM])
    make_column_edge(orders, "id", report, "order_id", [IDENTITY])
    return {"raw": raw, "orders": orders, "report": report}


def get_columns(client, node_id, **params):
    return client.get("/api/v1/column-lineage", {"nodeId": node_id, **params})


def node_ids(body):
    return [node["id"] for node in body["graph"]]


def test_field_depth_one_exact(reader, fields):
    body = get_columns(reader, AMOUNT, depth=1).json()

    orders = fields["orders"]
    assert body["root"] == AMOUNT
    assert body["truncated"] is False
    assert node_ids(body) == sorted([AMOUNT, TOTAL, CENTS])
    amount = next(node for node in body["graph"] if node["id"] == AMOUNT)
    assert amount == {
        "id": AMOUNT,
        "type": "DATASET_FIELD",
        "data": {
            "namespace": HIVE,
            "name": "sales.orders",
            "field": "amount",
            "fieldType": "decimal",
            "inputFields": [
                {
                    "namespace": "s3://lake",
                    "name": "/raw/orders",
                    "field": "amount_cents",
                    "transformations": [IDENTITY],
                }
            ],
            "transformations": [IDENTITY],
            "pk": orders.pk,
            "url": f"/datasets/{orders.pk}/",
        },
        "inEdges": [{"origin": CENTS, "destination": AMOUNT}],
        "outEdges": [{"origin": AMOUNT, "destination": TOTAL}],
    }


def test_field_depth_zero_is_root_alone(reader, fields):
    body = get_columns(reader, AMOUNT, depth=0).json()

    assert node_ids(body) == [AMOUNT]
    assert body["graph"][0]["inEdges"] == []
    assert body["graph"][0]["data"]["inputFields"] == []


def test_field_upstream_only(reader, fields):
    body = get_columns(reader, TOTAL, direction="upstream").json()

    assert node_ids(body) == sorted([TOTAL, AMOUNT, CENTS])


def test_field_downstream_only(reader, fields):
    body = get_columns(reader, CENTS, direction="downstream", depth=1).json()

    assert node_ids(body) == sorted([CENTS, AMOUNT])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"withDownstream": "false"}, [AMOUNT, CENTS]),
        ({"withDownstream": "true"}, [AMOUNT, CENTS, TOTAL]),
        ({"withDownstream": "false", "direction": "downstream"}, [AMOUNT, TOTAL]),
    ],
)
def test_with_downstream_as_in_marquez(reader, fields, params, expected):
    body = get_columns(reader, AMOUNT, **params).json()

    assert node_ids(body) == sorted(expected)


def test_dataset_id_starts_from_every_field(reader, fields):
    body = get_columns(reader, f"dataset:{HIVE}:sales.orders", depth=1).json()

    assert body["root"] == f"dataset:{HIVE}:sales.orders"
    assert node_ids(body) == sorted([AMOUNT, ORDER_ID, CENTS, TOTAL, REPORT_ID])


def test_dataset_without_fields_is_empty_graph(reader, fields):
    make_dataset(HIVE, "sales.empty")

    response = get_columns(reader, f"dataset:{HIVE}:sales.empty")

    assert response.status_code == 200
    assert response.json()["graph"] == []


def test_field_name_with_colons_found(reader, fields):
    make_column_edge(fields["orders"], "amount", fields["report"], "a:b:c")

    body = get_columns(reader, f"datasetField:{HIVE}:sales.report:a:b:c").json()

    assert body["root"] == f"datasetField:{HIVE}:sales.report:a:b:c"
    assert node_ids(body) == sorted(
        [f"datasetField:{HIVE}:sales.report:a:b:c", AMOUNT, CENTS]
    )


def test_schema_field_without_lineage_found(reader, fields):
    body = get_columns(reader, f"datasetField:{HIVE}:sales.orders:id", depth=0).json()

    assert node_ids(body) == [ORDER_ID]


def test_unknown_field_is_404(reader, fields):
    response = get_columns(reader, f"datasetField:{HIVE}:sales.orders:missing")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["field"] == "nodeId"


def test_malformed_field_id_is_400(reader, fields):
    response = get_columns(reader, "job:spark:ingest")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Invalid node id 'job:spark:ingest': expected "
        "datasetField:<namespace>:<name>:<field> or dataset:<namespace>:<name>.",
        "field": "nodeId",
    }


def test_column_query_count_fixed(
    client, reader_key, fields, django_assert_num_queries
):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader_key}"}

    # API key, 3 to resolve the id, 2 levels, then datasets and edges.
    with django_assert_num_queries(8):
        response = client.get(
            "/api/v1/column-lineage", {"nodeId": TOTAL, "depth": 2}, **headers
        )

    assert response.status_code == 200
    assert len(response.json()["graph"]) == 3


def test_column_lineage_needs_read_scope(client, pipeline_key, fields):
    response = client.get(
        "/api/v1/column-lineage",
        {"nodeId": TOTAL},
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 403


def test_spark_column_lineage_on_symlinked_tables(reader, corpus_dir):
    path = corpus_dir / "events" / "compat-spark" / "cll_5.json"
    (outcome,) = ingest_payloads([json.loads(path.read_text())])
    assert outcome.error is None

    body = get_columns(reader, "datasetField:file:/tmp/cll_test/tbl1:ident").json()

    # The paths are symlinked to tables, which carry the lineage.
    assert body["root"] == "datasetField:file:/tmp/cll_test:default.tbl1:ident"
    ident = next(node for node in body["graph"] if node["id"] == body["root"])
    assert [edge["origin"] for edge in ident["inEdges"]] == [
        "datasetField:file:/tmp/cll_test:default.cll_source1:a",
        "datasetField:file:/tmp/cll_test:default.cll_source1:b",
        "datasetField:file:/tmp/cll_test:default.cll_source2:a",
    ]
    assert ident["data"]["transformations"][0] == {
        "type": "DIRECT",
        "subtype": "IDENTITY",
        "description": "",
        "masking": False,
    }

    for node in body["graph"]:
        again = get_columns(reader, node["id"], depth=0).json()
        assert again["root"] == node["id"]


def test_field_id_with_many_colons_is_400(reader, fields):
    response = get_columns(reader, "datasetField:" + "a:" * 30)

    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith(
        "Invalid node id with 31 colons: the maximum is 24."
    )


def test_column_graph_cut_at_edge_cap(reader, db):
    source = make_dataset("brk", "src")
    target = make_dataset("brk", "tgt")
    names = [f"f{index:03}" for index in range(101)]
    ColumnLineageEdge.objects.bulk_create(
        ColumnLineageEdge(
            input_dataset=source,
            input_field=input_field,
            output_dataset=target,
            output_field=output_field,
            transformations=[IDENTITY],
            first_seen_at=SEEN_AT,
            last_seen_at=SEEN_AT,
        )
        for output_field in names
        for input_field in names
    )

    body = get_columns(reader, "dataset:brk:src", depth=50).json()

    assert column_graph.MAX_FIELD_EDGES == 10_000
    assert body["truncated"] is True
    assert len(body["graph"]) == 202
    in_edges = [edge for node in body["graph"] for edge in node["inEdges"]]
    assert len(in_edges) == 10_000
    # Edges are kept by input field, then output field: 99 source fields keep
    # their 101 edges, the next keeps one and the last none.
    out_edges = {node["id"]: node["outEdges"] for node in body["graph"]}
    assert len(out_edges[FIELD_SRC + "f098"]) == 101
    assert out_edges[FIELD_SRC + "f099"] == [
        {"origin": FIELD_SRC + "f099", "destination": "datasetField:brk:tgt:f000"}
    ]
    assert out_edges[FIELD_SRC + "f100"] == []


def test_column_walk_cut_at_node_cap(db):
    source = make_dataset("brk", "src")
    target = make_dataset("brk", "tgt")
    for index in range(3):
        make_column_edge(source, "a", target, f"out{index}")
    roots = [FieldRef(source.pk, "a")]

    graph = column_graph.column_graph(
        "dataset:brk:src", roots, depth=5, max_nodes=3, max_edges=10
    )

    assert graph.truncated is True
    assert sorted(ref.field for ref in graph.nodes) == ["a", "out0", "out1"]


def test_column_graph_within_caps_not_truncated(db):
    source = make_dataset("brk", "src")
    target = make_dataset("brk", "tgt")
    for index in range(3):
        make_column_edge(source, "a", target, f"out{index}")
    roots = [FieldRef(source.pk, "a")]

    graph = column_graph.column_graph(
        "dataset:brk:src", roots, depth=5, max_nodes=4, max_edges=3
    )

    assert graph.truncated is False
    assert sum(len(node.inputs) for node in graph.nodes.values()) == 3


def test_decoded_nul_in_field_id_is_400(reader, fields):
    response = get_columns(reader, "dataset:brk%00:x")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Invalid node id: it contains a NUL character, which no name "
        "can hold.",
        "field": "nodeId",
    }


def test_dataset_with_more_fields_than_cap_is_truncated(reader, db):
    fields = [{"name": f"f{index:04}"} for index in range(2_001)]
    make_dataset("brk", "wide", fields=fields)

    body = get_columns(reader, "dataset:brk:wide", depth=1).json()

    assert body["truncated"] is True
    assert len(body["graph"]) == column_graph.MAX_FIELD_NODES
    assert body["graph"][-1]["id"] == "datasetField:brk:wide:f1999"
