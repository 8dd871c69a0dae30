"""The contract API: versions, violations and the CI check, per persona."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from catalog.contracts import contract_create, contracts_check_ports
from catalog.models import DataContract, DataProduct
from core.services import api_key_create
from tests.catalog.contract_helpers import (
    LAKE,
    ORDERS,
    ORDERS_CONTRACT,
    ORDERS_SCHEMA,
    contracted_port,
    send_schema,
)

pytestmark = pytest.mark.django_db

CHECK = "/api/v1/catalog/contract-check"


def contracts_url(port) -> str:
    return f"/api/v1/catalog/products/{port.product.slug}/ports/{port.pk}/contracts"


def violations_url(port) -> str:
    return f"/api/v1/catalog/products/{port.product.slug}/ports/{port.pk}/violations"


def signed_in(client, user):
    client.force_login(user)
    return client


def post_json(client, url, body, **headers):
    return client.post(url, data=body, content_type="application/json", **headers)


def error(response) -> dict:
    return response.json()["error"]


def next_version(**changes) -> dict:
    body = {"version": "1.1.0", "compatibility": "forward", "fields": ORDERS_CONTRACT}
    body.update(changes)
    return body


@pytest.fixture
def port(owner, steward):
    return contracted_port(owner, stewards=[steward])


def test_steward_adds_version(client, port, steward):
    fields = [*ORDERS_CONTRACT, {"name": "note", "type": "string"}]

    response = post_json(
        signed_in(client, steward), contracts_url(port), next_version(fields=fields)
    )

    assert response.status_code == 201
    body = response.json()
    assert body["version"] == "1.1.0"
    assert body["compatibility"] == "forward"
    assert body["created_by"] == "steward"
    assert body["fields"][-1] == {
        "name": "note",
        "type": "string",
        "nullable": True,
        "description": "",
    }
    assert port.contracts.count() == 2


@pytest.mark.parametrize("persona", ["consumer", "auditor"])
def test_reader_cannot_add_version(client, port, persona, request):
    user = request.getfixturevalue(persona)

    response = post_json(signed_in(client, user), contracts_url(port), next_version())

    assert response.status_code == 403
    assert error(response) == {
        "code": "permission_denied",
        "message": "You may not change this.",
        "field": None,
    }
    assert port.contracts.count() == 1


def test_outsider_cannot_read_or_add(outsider, port):
    assert outsider.get(contracts_url(port)).status_code == 401
    assert post_json(outsider, contracts_url(port), next_version()).status_code == 401


def test_read_key_cannot_add_version(client, port, reader_key):
    response = post_json(
        client,
        contracts_url(port),
        next_version(),
        HTTP_AUTHORIZATION=f"Bearer {reader_key}",
    )

    assert response.status_code == 403
    assert error(response)["message"] == "This API key lacks the catalog:write scope."


def test_owner_key_with_catalog_write_adds_version(client, port, owner):
    _, raw_key = api_key_create(name="ci", scopes=["catalog:write"], user=owner)

    response = post_json(
        client,
        contracts_url(port),
        next_version(),
        HTTP_AUTHORIZATION=f"Bearer {raw_key}",
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"version": "1.1"},
            "version",
            "Invalid version: use a semantic version MAJOR.MINOR.PATCH of whole "
            "numbers without leading zeros, such as 1.0.0.",
        ),
        (
            {"version": "1.0.0"},
            "version",
            "Version 1.0.0 must be greater than the port's latest contract version "
            "1.0.0.",
        ),
        (
            {"version": "0.9.0"},
            "version",
            "Version 0.9.0 must be greater than the port's latest contract version "
            "1.0.0.",
        ),
        (
            {"compatibility": "sideways"},
            "compatibility",
            '"sideways" is not a valid choice.',
        ),
        (
            {
                "fields": [
                    {"name": "id", "type": "bigint", "nullable": False},
                    {"name": "amount", "type": "decimal(10,2)", "nullable": False},
                    {"name": "customer"},
                ]
            },
            "fields[2].type",
            "This field is required.",
        ),
        (
            {
                "fields": [
                    {"name": "id", "type": "bigint"},
                    {"name": "id", "type": "bigint"},
                ]
            },
            "fields[1].name",
            "Duplicate field name 'id' at this level.",
        ),
        ({"fields": "id"}, "fields", "Expected a list of fields."),
        (
            {"fields": ORDERS_CONTRACT[:2]},
            "fields",
            "Version 1.1.0 breaks the forward compatibility of version 1.0.0: "
            "field removed at customer (expected struct, actual none). A breaking "
            "change needs a higher major version.",
        ),
        (
            {
                "fields": [
                    {"name": "id", "type": "bigint"},
                    *ORDERS_CONTRACT[1:],
                ]
            },
            "fields",
            "Version 1.1.0 breaks the forward compatibility of version 1.0.0: "
            "nullability loosened at id (expected not nullable, actual nullable). "
            "A breaking change needs a higher major version.",
        ),
    ],
)
def test_invalid_version_rejected(client, port, owner, changes, field, message):
    response = post_json(
        signed_in(client, owner), contracts_url(port), next_version(**changes)
    )

    assert response.status_code == 400
    assert error(response)["field"] == field
    assert error(response)["message"] == message
    assert port.contracts.count() == 1


def test_breaking_change_with_major_bump_accepted(client, port, owner):
    response = post_json(
        signed_in(client, owner),
        contracts_url(port),
        next_version(version="2.0.0", fields=ORDERS_CONTRACT[:2]),
    )

    assert response.status_code == 201
    assert port.contracts.first().version == "2.0.0"


def test_versions_listed_newest_first(client, port, owner):
    for version in ("1.0.1", "1.2.0", "1.10.0"):
        contract_create(port=port, version=version, fields=ORDERS_CONTRACT)

    response = signed_in(client, owner).get(contracts_url(port))

    assert response.status_code == 200
    assert [item["version"] for item in response.json()["results"]] == [
        "1.10.0",
        "1.2.0",
        "1.0.1",
        "1.0.0",
    ]


def test_version_read_by_consumer(client, port, consumer):
    response = signed_in(client, consumer).get(f"{contracts_url(port)}/1.0.0")

    assert response.status_code == 200
    assert response.json()["fields"][0] == {
        "name": "id",
        "type": "bigint",
        "nullable": False,
        "description": "",
    }


def test_unknown_version_not_found(client, port, consumer):
    response = signed_in(client, consumer).get(f"{contracts_url(port)}/9.9.9")

    assert response.status_code == 404
    assert error(response)["message"] == "Contract version not found."


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_versions_are_immutable(client, port, owner, method):
    response = getattr(signed_in(client, owner), method)(
        f"{contracts_url(port)}/1.0.0", data={}, content_type="application/json"
    )

    assert response.status_code == 405
    assert port.contracts.get().fields == DataContract.objects.get().fields


def test_invisible_product_is_not_found(client, owner, consumer, auditor):
    port = contracted_port(owner, lifecycle=DataProduct.Lifecycle.DRAFT)

    hidden = signed_in(client, consumer).get(contracts_url(port))
    seen = signed_in(client, auditor).get(contracts_url(port))

    assert hidden.status_code == 404
    assert error(hidden)["message"] == "Data product not found."
    assert seen.status_code == 200


def test_port_of_other_product_not_found(client, port, owner):
    other = (
        f"/api/v1/catalog/products/{port.product.slug}/ports/{port.pk + 1}/contracts"
    )

    response = signed_in(client, owner).get(other)

    assert response.status_code == 404
    assert error(response)["message"] == "Output port not found."


def test_contract_list_queries_pinned(
    client, port, consumer, django_assert_num_queries
):
    reader = signed_in(client, consumer)
    reader.get(contracts_url(port))
    for version in ("1.0.1", "1.0.2", "1.0.3"):
        contract_create(port=port, version=version, fields=ORDERS_CONTRACT)

    # Session, user, model-wide view permission, product, port, count,
    # contracts with their creators.
    with django_assert_num_queries(7):
        response = reader.get(contracts_url(port))

    assert response.json()["count"] == 4


def test_open_violations_listed(client, port, consumer):
    send_schema(ORDERS_SCHEMA[1:], minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    response = signed_in(client, consumer).get(violations_url(port))

    assert response.status_code == 200
    (violation,) = response.json()["results"]
    assert violation["contract_version"] == "1.0.0"
    assert violation["kind"] == "field_removed"
    assert violation["field_path"] == "id"
    assert violation["expected"] == "bigint"
    assert violation["actual"] == ""
    assert violation["dataset"] == {"namespace": LAKE, "name": ORDERS}


def test_violation_list_queries_pinned(
    client, port, consumer, django_assert_num_queries
):
    reader = signed_in(client, consumer)
    send_schema(ORDERS_SCHEMA[1:], minutes=1)
    contracts_check_ports(port_ids=[port.pk])
    reader.get(violations_url(port))
    send_schema(ORDERS_SCHEMA[2:], minutes=2)
    contracts_check_ports(port_ids=[port.pk])

    # Session, user, model-wide view permission, product, port, count,
    # violations with their contracts and schemas.
    with django_assert_num_queries(7):
        response = reader.get(violations_url(port))

    assert response.json()["count"] == 3


def check_body(schema, *, namespace=LAKE, name=ORDERS) -> dict:
    return {"namespace": namespace, "name": name, "schema": schema}


def test_check_compatible_schema(client, port, reader_key):
    response = post_json(
        client,
        CHECK,
        check_body({"fields": ORDERS_SCHEMA}),
        HTTP_AUTHORIZATION=f"Bearer {reader_key}",
    )

    assert response.status_code == 200
    assert response.json() == {
        "compatible": True,
        "product": "orders",
        "port_id": port.pk,
        "contract_version": "1.0.0",
        "compatibility": "forward",
        "breaking_changes": [],
    }


def test_check_lists_breaking_changes(client, port, consumer):
    proposed = [
        {"name": "id", "type": "bigint", "nullable": True},
        {"name": "amount", "type": "double"},
    ]

    response = post_json(signed_in(client, consumer), CHECK, check_body(proposed))

    assert response.status_code == 200
    body = response.json()
    assert body["compatible"] is False
    assert body["breaking_changes"] == [
        {
            "kind": "nullability_loosened",
            "field_path": "id",
            "expected": "not nullable",
            "actual": "nullable",
        },
        {
            "kind": "type_changed",
            "field_path": "amount",
            "expected": "decimal(10,2)",
            "actual": "double",
        },
        {
            "kind": "field_removed",
            "field_path": "customer",
            "expected": "struct",
            "actual": "",
        },
    ]


def test_check_added_required_field_under_full_rule(client, owner, consumer):
    contracted_port(owner, compatibility="full")
    proposed = [*ORDERS_CONTRACT, {"name": "code", "type": "int", "nullable": False}]

    response = post_json(signed_in(client, consumer), CHECK, check_body(proposed))

    assert response.json()["breaking_changes"] == [
        {
            "kind": "required_field_added",
            "field_path": "code",
            "expected": "",
            "actual": "int",
        }
    ]


def test_check_malformed_schema_names_field(client, port, consumer):
    proposed = {"fields": [{"name": "id", "type": "bigint"}, {"name": "amount"}]}

    response = post_json(signed_in(client, consumer), CHECK, check_body(proposed))

    assert response.status_code == 400
    assert error(response) == {
        "code": "invalid",
        "message": "This field is required.",
        "field": "schema.fields[1].type",
    }


def test_check_missing_schema_rejected(client, port, consumer):
    response = post_json(
        signed_in(client, consumer), CHECK, {"namespace": LAKE, "name": ORDERS}
    )

    assert response.status_code == 400
    assert error(response)["field"] == "schema"
    assert error(response)["message"] == "This field is required."


@pytest.mark.parametrize(
    ("lifecycle", "name"),
    [
        (DataProduct.Lifecycle.PUBLISHED, "/orders/unknown"),
        (DataProduct.Lifecycle.DRAFT, ORDERS),
    ],
)
def test_check_unknown_or_invisible_port_not_found(
    client, owner, reader_key, lifecycle, name
):
    contracted_port(owner, lifecycle=lifecycle)

    response = post_json(
        client,
        CHECK,
        check_body(ORDERS_SCHEMA, name=name),
        HTTP_AUTHORIZATION=f"Bearer {reader_key}",
    )

    assert response.status_code == 404
    assert error(response) == {
        "code": "not_found",
        "message": "No output port you may see publishes this dataset.",
        "field": None,
    }


def test_check_by_alias_name(client, port, consumer):
    send_schema(
        ORDERS_SCHEMA,
        minutes=1,
        namespace="hdfs://warehouse",
        name="/user/hive/orders_daily",
        symlink=(LAKE, ORDERS),
    )

    response = post_json(
        signed_in(client, consumer),
        CHECK,
        check_body(
            ORDERS_SCHEMA[1:],
            namespace="hdfs://warehouse",
            name="/user/hive/orders_daily",
        ),
    )

    assert response.status_code == 200
    assert response.json()["port_id"] == port.pk
    assert response.json()["compatible"] is False


def test_check_needs_sign_in(outsider, port):
    response = post_json(outsider, CHECK, check_body(ORDERS_SCHEMA))

    assert response.status_code == 401


def test_check_key_without_read_scope_rejected(client, port, pipeline_key):
    response = post_json(
        client,
        CHECK,
        check_body(ORDERS_SCHEMA),
        HTTP_AUTHORIZATION=f"Bearer {pipeline_key}",
    )

    assert response.status_code == 403


def test_openapi_schema_has_no_warnings_for_contract_views():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)

    paths = [p for p in schema["paths"] if "contract" in p or "violations" in p]
    assert len(paths) == 4
    problems = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert [text for text in problems if "catalog/api/contracts.py" in text] == []
