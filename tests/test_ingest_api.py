"""POST /api/v1/lineage and /api/v1/lineage/batch: bodies, limits, batches, auth."""

import gzip
import http.client
import io
import json
import threading
import tracemalloc
from pathlib import Path
from urllib.parse import urlparse

import orjson
import pytest

from core.models import ApiKey
from core.services import api_key_create, api_key_revoke
from lineage.ingestion.body import read_body
from lineage.ingestion.events import EventRejected
from lineage.models import Event, Run

PRODUCER = "https://example.com/lineage-test-producer/1.0"
MAX_BODY = 10 * 1024 * 1024


def run_event(run_number: int = 1, **changes) -> dict:
    event = {
        "eventType": "START",
        "eventTime": "2024-05-01T10:00:00.000Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": f"01934f5e-0000-7000-8000-{run_number:012d}"},
        "job": {"namespace": "etl", "name": "daily_orders"},
        "inputs": [{"namespace": "postgres://db:5432", "name": "shop.orders"}],
        "outputs": [{"namespace": "s3://lake", "name": "/orders/daily"}],
    }
    event.update(changes)
    return event


def post(client, key, body: bytes, *, path="/api/v1/lineage", **headers):
    headers.setdefault("content_type", "application/json")
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    return client.post(path, data=body, **headers)


def test_single_event_created(client, pipeline_key):
    response = post(client, pipeline_key, orjson.dumps(run_event()))

    assert response.status_code == 201
    event = Event.objects.get()
    assert response.json() == {"id": event.pk, "duplicate": False, "warnings": []}
    assert event.event_type == "RunEvent"
    assert event.run_state == "START"
    assert str(event.run_id) == "01934f5e-0000-7000-8000-000000000001"
    assert event.api_key == ApiKey.objects.get(name="airflow-prod")
    assert event.payload == run_event()


def test_same_event_again_is_duplicate(client, pipeline_key):
    first = post(client, pipeline_key, orjson.dumps(run_event()))
    # Key order does not make a different event.
    reordered = dict(reversed(list(run_event().items())))
    second = post(client, pipeline_key, orjson.dumps(reordered))

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == {
        "id": first.json()["id"],
        "duplicate": True,
        "warnings": [],
    }
    assert Event.objects.count() == 1


def test_warnings_returned(client, pipeline_key):
    event = run_event(eventTime="2024-05-01T10:00:00")
    del event["schemaURL"]

    response = post(client, pipeline_key, orjson.dumps(event))

    assert response.status_code == 201
    assert response.json()["warnings"] == [
        {
            "field": "eventTime",
            "message": "eventTime has no UTC offset and was read as UTC.",
        },
        {"field": "schemaURL", "message": "schemaURL is missing."},
    ]
    assert Event.objects.get().warnings == response.json()["warnings"]


def test_gzip_body_accepted(client, pipeline_key):
    body = gzip.compress(orjson.dumps(run_event()), compresslevel=3)

    response = post(client, pipeline_key, body, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 201
    assert Event.objects.get().payload == run_event()


def test_gzip_bomb_rejected(client, pipeline_key):
    # About 50 kB on the wire, 50 MB once inflated.
    body = gzip.compress(b" " * (50 * 1024 * 1024), compresslevel=9)
    assert len(body) < 100_000

    response = post(client, pipeline_key, body, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_large",
            "message": f"The body is larger than the limit of {MAX_BODY} bytes "
            "(after gzip decoding). Send fewer events per request.",
            "field": None,
        }
    }


def test_truncated_gzip_rejected(client, pipeline_key):
    body = gzip.compress(orjson.dumps(run_event()))[:-20]

    response = post(client, pipeline_key, body, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_gzip"


def test_not_gzip_rejected(client, pipeline_key):
    response = post(
        client, pipeline_key, orjson.dumps(run_event()), HTTP_CONTENT_ENCODING="gzip"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_gzip"


def test_unsupported_encoding_rejected(client, pipeline_key):
    response = post(
        client, pipeline_key, orjson.dumps(run_event()), HTTP_CONTENT_ENCODING="br"
    )

    assert response.status_code == 415
    assert response.json() == {
        "error": {
            "code": "unsupported_encoding",
            "message": "Content-Encoding 'br' is not supported: send the body as "
            "is or with gzip.",
            "field": None,
        }
    }


def huge_event(corpus_dir: Path, size: int) -> bytes:
    """Case 03 of the corpus with its placeholder inflated to `size` bytes."""
    text = (corpus_dir / "cases" / "03-huge-event-unbounded-facet.json").read_text()
    event = json.loads(text)[0]
    facet = event["run"]["facets"]["spark_unknown"]
    facet["output"]["description"] = "x" * size
    return orjson.dumps(event)


def test_one_megabyte_event_accepted(client, pipeline_key, corpus_dir):
    response = post(client, pipeline_key, huge_event(corpus_dir, 1024 * 1024))

    assert response.status_code == 201
    assert Run.objects.filter(run_id="01934f5e-0000-7000-8000-000000000003").exists()


def test_body_over_limit_rejected(client, pipeline_key, corpus_dir):
    body = huge_event(corpus_dir, MAX_BODY)
    assert len(body) > MAX_BODY

    response = post(client, pipeline_key, body)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Event.objects.count() == 0
    assert Run.objects.count() == 0


def test_stream_without_length_counted_while_read():
    stream = io.BytesIO(b"[" + b" " * (MAX_BODY + 10) + b"]")

    with pytest.raises(EventRejected) as raised:
        read_body(stream, content_length=None, max_bytes=MAX_BODY)

    assert raised.value.status == 413
    # Reading stops one chunk past the limit, not at the end of the stream.
    assert stream.tell() < MAX_BODY + 128 * 1024


def test_ndjson_body_is_batch(client, pipeline_key):
    lines = [orjson.dumps(run_event(number)) for number in (1, 2)]

    response = post(
        client,
        pipeline_key,
        b"\n".join(lines) + b"\n",
        content_type="application/x-ndjson",
    )

    assert response.status_code == 200
    ids = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    assert response.json() == {
        "accepted": 2,
        "duplicates": 0,
        "rejected": 0,
        "results": [
            {
                "index": 0,
                "status": 201,
                "id": ids[0],
                "duplicate": False,
                "warnings": [],
            },
            {
                "index": 1,
                "status": 201,
                "id": ids[1],
                "duplicate": False,
                "warnings": [],
            },
        ],
    }


def test_json_array_on_single_endpoint_is_batch(client, pipeline_key):
    body = orjson.dumps([run_event(1), run_event(2), run_event(1)])

    response = post(client, pipeline_key, body)

    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 1, 0)
    assert body["results"][2]["status"] == 200
    assert body["results"][2]["duplicate"] is True
    assert body["results"][2]["id"] == body["results"][0]["id"]


def test_batch_with_bad_event_stores_others(client, pipeline_key):
    bad = run_event(2)
    del bad["run"]["runId"]
    body = orjson.dumps([run_event(1), bad, run_event(3)])

    response = post(client, pipeline_key, body, path="/api/v1/lineage/batch")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 400, 201]
    assert results[1] == {
        "index": 1,
        "status": 400,
        "error": {
            "code": "required",
            "message": "run.runId is missing: a RunEvent needs the UUID of its run.",
            "field": "run.runId",
        },
    }
    assert sorted(
        str(run_id) for run_id in Event.objects.values_list("run_id", flat=True)
    ) == [
        "01934f5e-0000-7000-8000-000000000001",
        "01934f5e-0000-7000-8000-000000000003",
    ]


def test_ndjson_bad_line_rejected_alone(client, pipeline_key):
    body = orjson.dumps(run_event(1)) + b"\n{not json\n" + orjson.dumps(run_event(2))

    response = post(
        client,
        pipeline_key,
        body,
        path="/api/v1/lineage/batch",
        content_type="application/x-ndjson",
    )

    results = response.json()["results"]
    assert [result["status"] for result in results] == [201, 400, 201]
    assert results[1]["error"]["code"] == "invalid_json"
    assert results[1]["error"]["message"].startswith("Line 2 is not valid JSON: ")
    assert Event.objects.count() == 2


def test_batch_endpoint_takes_single_object(client, pipeline_key):
    response = post(
        client, pipeline_key, orjson.dumps(run_event()), path="/api/v1/lineage/batch"
    )

    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert len(response.json()["results"]) == 1


def test_batch_over_event_limit_rejected(client, pipeline_key, settings):
    settings.LINEAGE_MAX_BATCH_EVENTS = 3
    body = orjson.dumps([run_event(number) for number in range(1, 5)])

    response = post(client, pipeline_key, body, path="/api/v1/lineage/batch")

    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_many_events",
            "message": "The batch has 4 events, more than the limit of 3. Split it "
            "into smaller batches.",
            "field": None,
        }
    }
    assert Event.objects.count() == 0


def test_ndjson_over_event_limit_rejected(client, pipeline_key, settings):
    settings.LINEAGE_MAX_BATCH_EVENTS = 3
    body = b"\n".join(orjson.dumps(run_event(number)) for number in range(1, 5))

    response = post(
        client,
        pipeline_key,
        body,
        path="/api/v1/lineage/batch",
        content_type="application/x-ndjson",
    )

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_many_events"


@pytest.mark.parametrize("path", ["/api/v1/lineage", "/api/v1/lineage/batch"])
def test_no_key_unauthorized(client, db, path):
    response = post(client, None, orjson.dumps(run_event()), path=path)

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "field": None,
        }
    }
    assert Event.objects.count() == 0


@pytest.mark.parametrize("path", ["/api/v1/lineage", "/api/v1/lineage/batch"])
def test_read_only_key_forbidden(client, reader_key, path):
    response = post(client, reader_key, orjson.dumps(run_event()), path=path)

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "permission_denied",
            "message": "This API key lacks the lineage:write scope.",
            "field": None,
        }
    }


def test_revoked_key_unauthorized(client, db):
    api_key, raw_key = api_key_create(name="old-airflow", scopes=["lineage:write"])
    api_key_revoke(api_key=api_key)

    response = post(client, raw_key, orjson.dumps(run_event()))

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "authentication_failed",
            "message": "The API key is invalid or revoked.",
            "field": None,
        }
    }
    assert Event.objects.count() == 0


def _send(url: str, key: str, body, headers: dict) -> tuple[int, dict]:
    address = urlparse(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        connection.request(
            "POST",
            "/api/v1/lineage",
            body=body,
            headers={"Authorization": f"Bearer {key}", **headers},
            encode_chunked=headers.get("Transfer-Encoding") == "chunked",
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_inflated_body_memory_bounded(live_server, transactional_db, pipeline_key):
    # 30 MB of JSON once inflated: the server must stop at the 10 MB limit
    # rather than inflate or hold the whole body.
    body = gzip.compress(
        b'{"eventTime": "' + b"9" * (30 * 1024 * 1024) + b'"}', compresslevel=6
    )
    assert len(body) < MAX_BODY

    tracemalloc.start()
    try:
        status, payload = _send(
            live_server.url,
            pipeline_key,
            body,
            {"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert status == 413
    assert payload["error"]["code"] == "too_large"
    # The body buffer stops at the 10 MB limit; 30 MB would mean it was inflated.
    assert peak < 16 * 1024 * 1024
    assert Event.objects.count() == 0


def test_chunked_body_needs_length(live_server, transactional_db, pipeline_key):
    def chunks():
        for _ in range(3):
            yield orjson.dumps(run_event())[:10]

    status, payload = _send(
        live_server.url,
        pipeline_key,
        chunks(),
        {"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
    )

    assert status == 411
    assert payload["error"] == {
        "code": "length_required",
        "message": "Chunked request bodies are not supported: send a Content-Length "
        "header.",
        "field": None,
    }


def test_concurrent_duplicates_store_once(live_server, transactional_db, pipeline_key):
    body = orjson.dumps(run_event())
    statuses = []

    def send():
        statuses.append(
            _send(
                live_server.url,
                pipeline_key,
                body,
                {"Content-Type": "application/json"},
            )[0]
        )

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 200, 200, 201]
    assert Event.objects.count() == 1


def test_gzip_cut_before_any_output_is_invalid(client, pipeline_key):
    import gzip

    truncated = gzip.compress(orjson.dumps(run_event()))[:5]

    response = post(client, pipeline_key, truncated, HTTP_CONTENT_ENCODING="gzip")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid_gzip",
        "message": "The gzip body is truncated.",
        "field": None,
    }
