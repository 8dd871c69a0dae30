"""Validation of OpenLineage events: what rejects an event, what only warns,
and what parsing reads out of the facets."""

import copy
import hashlib
import random
from datetime import UTC, datetime
from uuid import UUID

import orjson
import pytest

from lineage.ingestion.body import split_body
from lineage.ingestion.events import (
    ColumnLineageInput,
    DatasetIdentifier,
    EventRejected,
    ParentRun,
)
from lineage.ingestion.parsing import parse_event
from lineage.models import Event

RUN_ID = "01934f5e-0000-7000-8000-000000000101"
PRODUCER = "https://example.com/lineage-test-producer/1.0"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def run_event(**changes) -> dict:
    event = {
        "eventType": "START",
        "eventTime": "2024-05-01T10:00:00.000Z",
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": RUN_ID, "facets": {}},
        "job": {"namespace": "etl", "name": "daily_orders", "facets": {}},
        "inputs": [
            {"namespace": "postgres://db.example.com:5432", "name": "shop.orders"},
            {"namespace": "postgres://db.example.com:5432", "name": "shop.items"},
        ],
        "outputs": [{"namespace": "s3://lake", "name": "/orders/daily"}],
    }
    event.update(changes)
    return event


def facet(**fields) -> dict:
    return {"_producer": PRODUCER, "_schemaURL": "https://example.com/f", **fields}


def post(client, key, payload):
    return client.post(
        "/api/v1/lineage",
        data=orjson.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )


def without(path: str) -> dict:
    """A valid RunEvent with the value at a dotted path removed."""
    event = run_event()
    *parents, last = path.split(".")
    container = event
    for key in parents:
        container = container[key]
    del container[last]
    return event


def with_value(path: str, value) -> dict:
    event = run_event()
    *parents, last = path.split(".")
    container = event
    for key in parents:
        container = container[int(key)] if key.isdigit() else container[key]
    container[int(last) if last.isdigit() else last] = value
    return event


def input_without_name() -> dict:
    event = run_event()
    del event["inputs"][1]["name"]
    return event


def output_without_namespace() -> dict:
    event = run_event()
    del event["outputs"][0]["namespace"]
    return event


REJECTIONS = [
    (
        "run_id_missing",
        without("run.runId"),
        "run.runId",
        "required",
        "run.runId is missing: a RunEvent needs the UUID of its run.",
    ),
    (
        "run_id_not_uuid",
        with_value("run.runId", "run-42"),
        "run.runId",
        "invalid",
        "run.runId must be a UUID, such as 01934f5e-0000-7000-8000-000000000001.",
    ),
    (
        "run_id_number",
        with_value("run.runId", 42),
        "run.runId",
        "invalid",
        "run.runId must be a UUID, such as 01934f5e-0000-7000-8000-000000000001.",
    ),
    (
        "run_not_object",
        with_value("run", "01934f5e-0000-7000-8000-000000000101"),
        "run",
        "invalid",
        "run must be a JSON object, not a string.",
    ),
    (
        "event_time_missing",
        without("eventTime"),
        "eventTime",
        "required",
        "eventTime is missing.",
    ),
    (
        "event_time_bare_date",
        with_value("eventTime", "2024-05-01"),
        "eventTime",
        "invalid",
        "eventTime must be an ISO 8601 date-time with a time part, such as "
        "2024-05-01T10:00:00.000Z.",
    ),
    (
        "event_time_unreadable",
        with_value("eventTime", "yesterday at noon"),
        "eventTime",
        "invalid",
        "eventTime must be an ISO 8601 date-time with a time part, such as "
        "2024-05-01T10:00:00.000Z.",
    ),
    (
        "event_time_number",
        with_value("eventTime", 1714557600),
        "eventTime",
        "invalid",
        "eventTime must be an ISO 8601 date-time with a time part, such as "
        "2024-05-01T10:00:00.000Z.",
    ),
    (
        "job_namespace_missing",
        without("job.namespace"),
        "job.namespace",
        "required",
        "job.namespace is missing.",
    ),
    (
        "job_name_empty",
        with_value("job.name", ""),
        "job.name",
        "required",
        "job.name is empty.",
    ),
    (
        "job_name_not_string",
        with_value("job.name", ["daily_orders"]),
        "job.name",
        "invalid",
        "job.name must be a string, not an array.",
    ),
    ("job_missing", without("job"), "job", "required", "job is missing."),
    (
        "input_without_name",
        input_without_name(),
        "inputs[1].name",
        "required",
        "inputs[1].name is missing.",
    ),
    (
        "output_without_namespace",
        output_without_namespace(),
        "outputs[0].namespace",
        "required",
        "outputs[0].namespace is missing.",
    ),
    (
        "event_type_unknown",
        with_value("eventType", "FINISHED"),
        "eventType",
        "invalid",
        "eventType must be one of START, RUNNING, COMPLETE, FAIL, ABORT or OTHER.",
    ),
    (
        "event_type_lowercase",
        with_value("eventType", "start"),
        "eventType",
        "invalid",
        "eventType must be one of START, RUNNING, COMPLETE, FAIL, ABORT or OTHER.",
    ),
    (
        "inputs_not_array",
        with_value("inputs", {"namespace": "s3://lake", "name": "/a"}),
        "inputs",
        "invalid",
        "inputs must be a JSON array, not an object.",
    ),
    (
        "outputs_not_array",
        with_value("outputs", "s3://lake/orders"),
        "outputs",
        "invalid",
        "outputs must be a JSON array, not a string.",
    ),
    (
        "input_not_object",
        with_value("inputs", ["shop.orders"]),
        "inputs[0]",
        "invalid",
        "inputs[0] must be a JSON object, not a string.",
    ),
    (
        "run_facets_not_object",
        with_value("run", {"runId": RUN_ID, "facets": []}),
        "run.facets",
        "invalid",
        "run.facets must be a JSON object, not an array.",
    ),
    (
        "job_facets_not_object",
        with_value("job", {"namespace": "etl", "name": "a", "facets": "sql"}),
        "job.facets",
        "invalid",
        "job.facets must be a JSON object, not a string.",
    ),
    (
        "no_run_job_or_dataset",
        {"eventTime": "2024-05-01T10:00:00Z", "producer": PRODUCER},
        "job",
        "required",
        "The event has no run, job or dataset, so it is neither a RunEvent, a "
        "JobEvent nor a DatasetEvent.",
    ),
    (
        "dataset_event_without_name",
        {
            "eventTime": "2024-05-01T10:00:00Z",
            "dataset": {"namespace": "s3://lake"},
        },
        "dataset.name",
        "required",
        "dataset.name is missing.",
    ),
    (
        "nul_in_job_name",
        with_value("job.name", "daily\x00orders"),
        "job.name",
        "nul_character",
        "job.name contains a NUL character (\\u0000), which cannot be stored.",
    ),
]


@pytest.mark.parametrize(
    ("payload", "field", "code", "message"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_rejected_event_names_field(
    client, pipeline_key, payload, field, code, message
):
    response = post(client, pipeline_key, payload)

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": code, "message": message, "field": field}
    }
    assert Event.objects.count() == 0


def test_rejection_logs_field_without_payload(client, pipeline_key, caplog):
    caplog.set_level("INFO", logger="lineage.services")

    post(client, pipeline_key, with_value("run.runId", "secret-looking-run-id"))

    lines = [r.getMessage() for r in caplog.records if r.name == "lineage.services"]
    assert len(lines) == 1
    assert "run.runId" in lines[0]
    assert "invalid" in lines[0]
    assert "secret-looking-run-id" not in lines[0]


def test_invalid_json_rejected(client, pipeline_key):
    response = client.post(
        "/api/v1/lineage",
        data=b'{"eventType": "START",',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert error["field"] is None
    assert error["message"].startswith("The body is not valid JSON: ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"START"', "An event must be a JSON object, not a string."),
        (b"42", "An event must be a JSON object, not a number."),
        (b"null", "An event must be a JSON object, not null."),
    ],
)
def test_body_not_object_rejected(client, pipeline_key, body, message):
    response = client.post(
        "/api/v1/lineage",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": message, "field": None}
    }


def test_empty_body_rejected(client, pipeline_key):
    response = client.post(
        "/api/v1/lineage",
        data=b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "required", "message": "The body is empty.", "field": None}
    }


def test_nul_in_facet_key_names_path():
    event = run_event()
    event["inputs"][1]["facets"] = {"sc\x00hema": facet(fields=[])}

    with pytest.raises(EventRejected) as raised:
        parse_event(event)

    assert raised.value.field == "inputs[1].facets.sc\x00hema"
    assert raised.value.code == "nul_character"


def test_escaped_backslash_u0000_is_not_nul():
    # The JSON text "\\u0000" is a backslash and "u0000", not a NUL character.
    event = parse_event(with_value("job.name", "daily\\u0000orders"))

    assert event.job_name == "daily\\u0000orders"


def nested(depth: int) -> dict:
    """A RunEvent whose deepest value sits `depth` levels down, the event being 1."""
    value: dict = {}
    # The event, run, run.facets, the custom facet and `tree` are five levels.
    for _ in range(depth - 5):
        value = {"child": value}
    return run_event(run={"runId": RUN_ID, "facets": {"custom": facet(tree=value)}})


def test_nesting_at_limit_accepted(client, pipeline_key, settings):
    assert settings.LINEAGE_MAX_NESTING == 64

    response = post(client, pipeline_key, nested(64))

    assert response.status_code == 201


def test_nesting_past_limit_rejected(client, pipeline_key):
    response = post(client, pipeline_key, nested(65))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_deep"
    assert error["message"] == "The event is nested deeper than 64 levels."
    assert error["field"].startswith("run.facets.custom.tree.child.child")
    assert Event.objects.count() == 0


def test_nesting_past_orjson_limit_rejected(client, pipeline_key):
    # orjson cannot serialise 255 levels or more, and the response must still be 400.
    body = b'{"a":' * 300 + b"1" + b"}" * 300

    response = client.post(
        "/api/v1/lineage",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_deep"


def warnings_of(payload) -> list[dict]:
    return [warning.as_dict() for warning in parse_event(payload).warnings]


def test_missing_schema_url_and_producer_warn():
    event = run_event()
    del event["schemaURL"]
    del event["producer"]

    assert warnings_of(event) == [
        {"field": "producer", "message": "producer is missing."},
        {"field": "schemaURL", "message": "schemaURL is missing."},
    ]


def test_naive_event_time_read_as_utc():
    event = parse_event(run_event(eventTime="2020-12-28T19:51:01.641499"))

    assert event.event_time == datetime(2020, 12, 28, 19, 51, 1, 641499, tzinfo=UTC)
    assert [w.as_dict() for w in event.warnings] == [
        {
            "field": "eventTime",
            "message": "eventTime has no UTC offset and was read as UTC.",
        }
    ]


def test_event_time_offset_and_nanoseconds():
    event = parse_event(run_event(eventTime="2020-12-28T19:52:00.001123456+10:00"))

    assert event.event_time == datetime(2020, 12, 28, 9, 52, 0, 1123, tzinfo=UTC)
    assert event.warnings == []


def test_invalid_facet_kept_raw_and_not_interpreted():
    bad_schema = facet(fields=[{"type": "VARCHAR"}])
    event = run_event()
    event["outputs"][0]["facets"] = {"schema": bad_schema}

    parsed = parse_event(event)

    output = parsed.outputs[0]
    assert output.facets == {"schema": bad_schema}
    assert output.invalid_facets == frozenset({"schema"})
    assert output.schema_fields is None
    assert [w.as_dict() for w in parsed.warnings] == [
        {
            "field": "outputs[0].facets.schema",
            "message": "The schema facet is invalid (fields[0].name is missing). "
            "It is stored as sent and not interpreted.",
        }
    ]


def test_invalid_output_facet_warns():
    event = run_event()
    event["outputs"][0]["outputFacets"] = {"outputStatistics": facet(rowCount="wrong")}

    parsed = parse_event(event)

    assert parsed.outputs[0].io_facets == {"outputStatistics": facet(rowCount="wrong")}
    assert [w.as_dict() for w in parsed.warnings] == [
        {
            "field": "outputs[0].outputFacets.outputStatistics",
            "message": "The outputStatistics facet is invalid (rowCount must be "
            "an integer). It is stored as sent and not interpreted.",
        }
    ]


def test_facet_not_object_is_invalid():
    event = run_event(
        job={"namespace": "etl", "name": "a", "facets": {"sql": "SELECT 1"}}
    )

    parsed = parse_event(event)

    assert parsed.job_facets == {"sql": "SELECT 1"}
    assert parsed.invalid_job_facets == frozenset({"sql"})
    assert parsed.warnings[0].message == (
        "The sql facet is invalid (a facet must be a JSON object). It is stored "
        "as sent and not interpreted."
    )


def test_null_facet_dropped_with_warning():
    event = run_event(
        run={"runId": RUN_ID, "facets": {"nominalTime": None}},
    )

    parsed = parse_event(event)

    assert parsed.run_facets == {}
    assert parsed.nominal_start_time is None
    assert [w.as_dict() for w in parsed.warnings] == [
        {
            "field": "run.facets.nominalTime",
            "message": "The facet is null and was ignored.",
        }
    ]


def test_unknown_facet_kept_without_warning():
    custom = facet(anything=[1, {"deep": True}])
    event = run_event(run={"runId": RUN_ID, "facets": {"spark_unknown": custom}})

    parsed = parse_event(event)

    assert parsed.run_facets == {"spark_unknown": custom}
    assert parsed.invalid_run_facets == frozenset()
    assert parsed.warnings == []


def test_parent_facet_interpreted():
    parent = facet(
        run={"runId": "01934f5e-0000-7000-8000-000000000130"},
        job={"namespace": "airflow", "name": "orders_dag"},
    )
    event = run_event(run={"runId": RUN_ID, "facets": {"parent": parent}})

    parsed = parse_event(event)

    assert parsed.parent == ParentRun(
        job_namespace="airflow",
        job_name="orders_dag",
        run_id=UUID("01934f5e-0000-7000-8000-000000000130"),
    )
    assert parsed.warnings == []


def test_parent_facet_without_run_id_links_job_only():
    parent = facet(run={}, job={"namespace": "databricks", "name": "workspace"})
    event = run_event(run={"runId": RUN_ID, "facets": {"parent": parent}})

    parsed = parse_event(event)

    assert parsed.parent == ParentRun("databricks", "workspace", None)
    assert [w.as_dict() for w in parsed.warnings] == [
        {
            "field": "run.facets.parent.run.runId",
            "message": "The parent facet names no run, so the run is linked to "
            "its parent job only.",
        }
    ]


def test_parent_facet_with_bad_run_id_not_interpreted():
    parent = facet(run={"runId": "nope"}, job={"namespace": "a", "name": "b"})
    event = run_event(run={"runId": RUN_ID, "facets": {"parent": parent}})

    parsed = parse_event(event)

    assert parsed.parent is None
    assert parsed.invalid_run_facets == frozenset({"parent"})
    assert parsed.warnings[0].field == "run.facets.parent"
    assert "run.runId must be a UUID" in parsed.warnings[0].message


def test_nominal_time_interpreted():
    nominal = facet(
        nominalStartTime="2020-12-17T03:00:00.001Z",
        nominalEndTime="2020-12-17T04:00:00+01:00",
    )
    event = run_event(run={"runId": RUN_ID, "facets": {"nominalTime": nominal}})

    parsed = parse_event(event)

    assert parsed.nominal_start_time == datetime(2020, 12, 17, 3, 0, 0, 1000, UTC)
    assert parsed.nominal_end_time == datetime(2020, 12, 17, 3, 0, tzinfo=UTC)


def test_nominal_time_bare_date_is_invalid():
    nominal = facet(nominalStartTime="2020-01-01")
    event = run_event(run={"runId": RUN_ID, "facets": {"nominalTime": nominal}})

    parsed = parse_event(event)

    assert parsed.nominal_start_time is None
    assert parsed.invalid_run_facets == frozenset({"nominalTime"})


def test_schema_fields_interpreted_with_nesting():
    schema = facet(
        fields=[
            {"name": "id", "type": "BIGINT", "description": "order id"},
            {
                "name": "customer",
                "type": "STRUCT",
                "fields": [{"name": "email", "type": "VARCHAR", "extra": 1}],
            },
        ]
    )
    event = run_event()
    event["outputs"][0]["facets"] = {"schema": schema}

    parsed = parse_event(event)

    assert parsed.outputs[0].schema_fields == [
        {"name": "id", "type": "BIGINT", "description": "order id"},
        {
            "name": "customer",
            "type": "STRUCT",
            "description": "",
            "fields": [{"name": "email", "type": "VARCHAR", "description": ""}],
        },
    ]


def test_symlinks_interpreted():
    symlinks = facet(
        identifiers=[
            {
                "namespace": "hive://metastore.example.com:9083",
                "name": "sales.orders",
                "type": "TABLE",
            }
        ]
    )
    event = run_event()
    event["outputs"][0]["facets"] = {"symlinks": symlinks}

    parsed = parse_event(event)

    assert parsed.outputs[0].symlinks == (
        DatasetIdentifier("hive://metastore.example.com:9083", "sales.orders", "TABLE"),
    )


def test_column_lineage_interpreted():
    transformation = {"type": "DIRECT", "subtype": "IDENTITY", "masking": False}
    lineage = facet(
        fields={
            "order_id": {
                "inputFields": [
                    {
                        "namespace": "postgres://db.example.com:5432",
                        "name": "shop.orders",
                        "field": "id",
                        "transformations": [transformation],
                    }
                ]
            }
        }
    )
    event = run_event()
    event["outputs"][0]["facets"] = {"columnLineage": lineage}

    parsed = parse_event(event)

    assert parsed.outputs[0].column_lineage == {
        "order_id": (
            ColumnLineageInput(
                "postgres://db.example.com:5432",
                "shop.orders",
                "id",
                (transformation,),
            ),
        )
    }


def test_legacy_column_lineage_transformation_converted():
    lineage = facet(
        fields={
            "email_hash": {
                "inputFields": [
                    {"namespace": "pg", "name": "crm.contacts", "field": "email"}
                ],
                "transformationType": "MASKED",
                "transformationDescription": "sha256(email)",
            }
        }
    )
    event = run_event()
    event["outputs"][0]["facets"] = {"columnLineage": lineage}

    parsed = parse_event(event)

    inputs = parsed.outputs[0].column_lineage["email_hash"]
    assert inputs[0].transformations == (
        {
            "type": "DIRECT",
            "subtype": "MASKED",
            "description": "sha256(email)",
            "masking": True,
        },
    )


def test_run_event_with_dataset_key_stays_run_event():
    parsed = parse_event(run_event(dataset={"namespace": "x", "name": "y"}))

    assert parsed.event_type == "RunEvent"
    assert parsed.dataset is None


def test_run_event_without_event_type():
    event = run_event()
    del event["eventType"]

    parsed = parse_event(event)

    assert parsed.event_type == "RunEvent"
    assert parsed.run_state == ""
    assert parsed.run_id == UUID(RUN_ID)


def test_dataset_event_parsed():
    parsed = parse_event(
        {
            "eventTime": "2024-05-01T10:00:00Z",
            "producer": PRODUCER,
            "schemaURL": SCHEMA_URL,
            "dataset": {"namespace": "s3://lake", "name": "/orders"},
        }
    )

    assert parsed.event_type == "DatasetEvent"
    assert parsed.dataset.namespace == "s3://lake"
    assert parsed.dataset.name == "/orders"
    assert parsed.job_name is None
    assert parsed.run_id is None


def test_job_event_parsed():
    event = run_event(eventType="COMPLETE")
    del event["run"]

    parsed = parse_event(event)

    assert parsed.event_type == "JobEvent"
    assert parsed.run_state == ""
    assert parsed.run_id is None
    assert [d.name for d in parsed.inputs] == ["shop.orders", "shop.items"]


def test_names_kept_exactly():
    names = [
        ("trino://trino.example.com:1337", "hive.analytics.test_01:copy"),
        ("abfss://landingzone@storageacct.dfs.core.windows.net", "/raw/2024/05"),
        ("file", "/data/my folder/Überweisungen 2024.csv"),
    ]
    event = run_event(inputs=[{"namespace": ns, "name": name} for ns, name in names])

    parsed = parse_event(event)

    assert [(d.namespace, d.name) for d in parsed.inputs] == names


def test_event_hash_is_sha256_of_sorted_json():
    event = run_event()
    expected = hashlib.sha256(
        orjson.dumps(copy.deepcopy(event), option=orjson.OPT_SORT_KEYS)
    ).hexdigest()

    assert parse_event(event).event_hash == expected


def test_parent_facet_with_empty_job_name_not_interpreted():
    parent = facet(run={}, job={"namespace": "databricks", "name": ""})
    event = run_event(run={"runId": RUN_ID, "facets": {"parent": parent}})

    parsed = parse_event(event)

    assert parsed.parent is None
    assert parsed.warnings[0].message == (
        "The parent facet is invalid (job.name must be a non-empty string). It is "
        "stored as sent and not interpreted."
    )


MUTATIONS = [
    None,
    "",
    0,
    1.5,
    True,
    [],
    {},
    "x",
    "2024-05-01",
    [None],
    [{}],
    {"runId": "x"},
    {"namespace": 1, "name": []},
    "a\x00b",
]


def _containers(value, found: list) -> None:
    if isinstance(value, dict):
        for key in value:
            found.append((value, key))
            _containers(value[key], found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((value, index))
            _containers(item, found)


def test_mutated_corpus_events_never_crash(corpus_dir):
    """Damaged real events are parsed or rejected, never an unexpected exception
    (which the API would turn into a 500)."""
    events = []
    for path in sorted((corpus_dir / "events").rglob("*.json")):
        events += split_body(path.read_bytes(), max_events=1000)[1]
    rng = random.Random(20241204)

    for _ in range(3000):
        event = copy.deepcopy(rng.choice(events))
        for _ in range(rng.randint(1, 3)):
            found: list = []
            _containers(event, found)
            container, key = rng.choice(found)
            if isinstance(container, dict) and rng.random() < 0.2:
                del container[key]
            else:
                container[key] = copy.deepcopy(rng.choice(MUTATIONS))
        try:
            parse_event(event)
        except EventRejected:
            pass


@pytest.mark.parametrize(
    "where, name, deleted",
    [
        ("output", "columnLineage", {"_deleted": True}),
        ("output", "schema", {"_deleted": True, "fields": "abc"}),
        ("output", "schema", {"_deleted": True, "fields": [{"type": "x"}]}),
        ("output", "symlinks", {"_deleted": True, "identifiers": [1]}),
        ("run", "parent", {"_deleted": True}),
        ("run", "nominalTime", {"_deleted": True, "nominalStartTime": "garbage"}),
        ("run", "nominalTime", {"_deleted": True, "nominalStartTime": 5}),
    ],
)
def test_deleted_facet_stored_not_interpreted(
    client, pipeline_key, where, name, deleted
):
    event = run_event()
    if where == "run":
        event["run"]["facets"][name] = deleted
    else:
        event["outputs"][0]["facets"] = {name: deleted}

    response = post(client, pipeline_key, event)

    assert response.status_code == 201
    parsed = parse_event(event)
    assert parsed.parent is None
    assert parsed.nominal_start_time is None
    assert parsed.outputs[0].schema_fields is None
    assert parsed.outputs[0].symlinks == ()
    assert parsed.outputs[0].column_lineage is None


def test_batch_keeps_good_event_beside_deleted_facet(client, pipeline_key):
    good = run_event()
    odd = run_event(run={"runId": "01934f5e-0000-7000-8000-000000000102"})
    odd["outputs"][0]["facets"] = {"columnLineage": {"_deleted": True}}

    response = client.post(
        "/api/v1/lineage/batch",
        data=orjson.dumps([good, odd]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 200
    assert [result["status"] for result in response.json()["results"]] == [201, 201]
    assert Event.objects.count() == 2


@pytest.mark.parametrize(
    "text", ["2024-05-01t10:00:00z", "2024-05-01t10:00:00Z", "2024-05-01T10:00:00z"]
)
def test_lowercase_rfc3339_time_accepted(text):
    event = parse_event(run_event(eventTime=text))

    assert event.event_time == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    assert event.warnings == []
