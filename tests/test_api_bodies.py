"""Request bodies that get a 4xx from the catalog API, never a 500."""

import orjson
import pytest

from catalog.models import Domain


@pytest.fixture
def session(client, admin_user):
    client.force_login(admin_user)
    return client


def post(client, path: str, body: bytes):
    return client.post(path, data=body, content_type="application/json")


def test_nul_inside_a_json_value_names_its_path(session):
    body = orjson.dumps({"name": "Finance", "description": ["ok", "bad\x00"]})

    response = post(session, "/api/v1/catalog/domains", body)

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "null_characters_not_allowed",
            "message": "description[1] contains a NUL character, which no value "
            "can contain.",
            "field": "description[1]",
        }
    }
    assert not Domain.objects.exists()


def test_deeply_nested_json_is_a_parse_error(session):
    body = b"[" * 100_000 + b"]" * 100_000

    response = post(session, "/api/v1/catalog/domains", body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": "The JSON is nested too deeply.",
        "field": None,
    }


def test_body_over_the_upload_limit_is_413(session, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = orjson.dumps({"name": "Finance", "description": "x" * 2000})

    response = post(session, "/api/v1/catalog/domains", body)

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_description_over_the_limit_names_the_field(client, owner):
    from tests.catalog_factories import make_domain

    make_domain("Sales")
    client.force_login(owner)
    body = orjson.dumps(
        {"name": "Orders", "domain": "sales", "description": "x" * 20_001}
    )

    response = post(client, "/api/v1/catalog/products", body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "Ensure this value has at most 20000 characters (it has 20001).",
        "field": "description",
    }


def test_page_that_loses_a_write_race_answers_409(rf):
    from django.db import IntegrityError

    from core.middleware import CONFLICT_PAGE_MESSAGE, WriteConflictMiddleware

    middleware = WriteConflictMiddleware(lambda request: None)
    request = rf.post("/catalog/products/new")

    response = middleware.process_exception(request, IntegrityError("duplicate"))

    assert response.status_code == 409
    assert response.content.decode() == CONFLICT_PAGE_MESSAGE
    assert middleware.process_exception(request, ValueError("other")) is None
