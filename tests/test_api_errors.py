"""Errors outside any one endpoint: the JSON envelope, NUL characters, paging,
methods, timeouts and the security headers."""

import orjson
import pytest

from lineage.models import Event
from tests.conftest import second_session
from tests.test_ingest_api import post, run_event

pytestmark = pytest.mark.django_db


def read(client, key, path):
    return client.get(path, HTTP_AUTHORIZATION=f"Bearer {key}")


def test_unknown_api_path_is_json_404(client, reader_key):
    response = read(client, reader_key, "/api/v1/nope")

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "Nothing is at /api/v1/nope.",
            "field": None,
        }
    }


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/lineage?nodeId=job:a%00:x", "nodeId"),
        ("/api/v1/namespaces/brk%00x", "path"),
        ("/api/v1/jobs?nameContains=%00", "nameContains"),
    ],
)
def test_nul_in_api_request_rejected(client, reader_key, path, field):
    response = read(client, reader_key, path)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "null_characters_not_allowed"
    assert response.json()["error"]["field"] == field


def test_nul_in_page_request_rejected(client, consumer):
    client.force_login(consumer)

    response = client.get("/search/?q=%00")

    assert response.status_code == 400
    assert b"q contains a NUL character" in response.content


@pytest.mark.parametrize(
    "value", ["abc", "0", "-1", "1001", "99999999999999999999", "²"]
)
def test_bad_limit_rejected(client, reader_key, value):
    response = read(client, reader_key, f"/api/v1/namespaces?limit={value}")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "limit must be a whole number from 1 to 1000.",
        "field": "limit",
    }


def test_bad_offset_rejected(client, reader_key):
    response = read(client, reader_key, "/api/v1/jobs?offset=-5")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "offset"


def test_largest_limit_accepted(client, reader_key):
    response = read(client, reader_key, "/api/v1/namespaces?limit=1000&offset=0")

    assert response.status_code == 200


def test_put_on_lineage_is_405(client, pipeline_key):
    response = client.put(
        "/api/v1/lineage", b"{}", HTTP_AUTHORIZATION=f"Bearer {pipeline_key}"
    )

    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_post_to_health_is_405(client):
    assert client.post("/health").status_code == 405


def test_logged_in_user_cannot_send_lineage(client, consumer):
    client.force_login(consumer)

    response = client.post(
        "/api/v1/lineage", orjson.dumps(run_event()), content_type="application/json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "This needs an API key with the lineage:write scope."
    )
    assert Event.objects.count() == 0


def test_pages_send_content_security_policy(client, consumer):
    client.force_login(consumer)

    response = client.get("/namespaces/")

    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_api_schema_needs_login(client):
    assert client.get("/api/schema/").status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_commit_timeout_is_503_and_retry_dedups(client, pipeline_key, settings):
    settings.LINEAGE_COMMIT_TIMEOUT = 0.5
    body = orjson.dumps(run_event(77))

    with second_session() as blocker:
        blocker.execute("LOCK TABLE lineage_event IN EXCLUSIVE MODE")
        timed_out = post(client, pipeline_key, body)
        blocker.rollback()

    settings.LINEAGE_COMMIT_TIMEOUT = 30
    retried = post(client, pipeline_key, body)

    assert timed_out.status_code == 503
    assert timed_out["Retry-After"] == "5"
    assert timed_out.json()["error"]["code"] == "timeout"
    assert retried.status_code in (200, 201)
    assert Event.objects.count() == 1


@pytest.mark.parametrize("suffix", ["jobs", "jobs/daily/runs"])
def test_namespace_lists_reject_bad_limit(client, reader_key, suffix):
    from tests.factories import make_job

    make_job("etl", "daily")

    response = read(client, reader_key, f"/api/v1/namespaces/etl/{suffix}?limit=0")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "limit"
