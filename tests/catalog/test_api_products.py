import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from catalog.models import DataProduct, Ownership
from catalog.services import output_port_add, ownership_add
from catalog.sla import service_level_set
from core.services import api_key_create
from tests.catalog.api_helpers import call, error_of
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset

Lifecycle = DataProduct.Lifecycle
Classification = DataProduct.Classification


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def technical_contact(db):
    return get_user_model().objects.create_user("techie", "techie@example.com", "pw")


@pytest.fixture
def orders(owner, steward, technical_contact):
    product = make_product(
        "Orders",
        owner=owner,
        stewards=[steward],
        description="Every order.",
        tags=["sales", "daily"],
    )
    ownership_add(
        product=product, role=Ownership.Role.TECHNICAL_CONTACT, user=technical_contact
    )
    return product


def _product_body(**changes):
    body = {
        "name": "Customers",
        "domain": make_domain().slug,
        "lifecycle": "published",
        "classification": "internal",
        "tags": ["crm"],
    }
    body.update(changes)
    return body


def test_product_detail_shows_owners_ports_sla_and_counts(api, consumer, orders):
    output_port_add(product=orders, dataset=make_dataset("s3://bucket", "/orders"))
    service_level_set(product=orders, schedule="0 6 * * *")

    response = call(api(consumer), "get", "/products/orders")

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "orders"
    assert body["domain"] == "finance"
    assert body["tags"] == ["daily", "sales"]
    assert [h["user"] for h in body["owners"]["owner"]] == ["owner"]
    assert [h["user"] for h in body["owners"]["steward"]] == ["steward"]
    assert [h["user"] for h in body["owners"]["technical_contact"]] == ["techie"]
    port = body["ports"][0]
    assert (port["namespace"], port["name"]) == ("s3://bucket", "/orders")
    assert port["node_id"] == "dataset:s3://bucket:/orders"
    assert body["sla"]["schedule"] == "0 6 * * *"
    assert body["sla"]["freshness"] is None
    assert body["counts"] == {"owners": 3, "ports": 1, "features": 0, "contracts": 0}


def test_owner_registers_product_and_becomes_owner(api, owner):
    response = call(api(owner), "post", "/products", _product_body())

    assert response.status_code == 201
    assert response.json()["slug"] == "customers"
    assert response.json()["owners"]["owner"][0]["user"] == "owner"
    assert response.json()["tags"] == ["crm"]
    product = DataProduct.objects.get(slug="customers")
    assert product.created_by == owner


def test_consumer_may_not_register_product(api, consumer):
    response = call(api(consumer), "post", "/products", _product_body())

    assert response.status_code == 403
    assert error_of(response) == {
        "code": "permission_denied",
        "message": "You may not register data products: ask an admin for the "
        "catalog.add_dataproduct permission.",
        "field": None,
    }


def test_duplicate_slug_rejected(api, owner, orders):
    response = call(api(owner), "post", "/products", _product_body(name="Orders"))

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "A data product with this slug already exists.",
        "field": "slug",
    }


def test_explicit_duplicate_slug_rejected(api, owner, orders):
    body = _product_body(slug="orders")

    response = call(api(owner), "post", "/products", body)

    assert response.status_code == 400
    assert error_of(response)["field"] == "slug"
    assert error_of(response)["code"] == "unique"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ["x"]}, "name", "Not a valid string."),
        (
            {"name": "x" * 201},
            "name",
            "Ensure this field has no more than 200 characters.",
        ),
        ({"name": "!!!"}, "slug", "Give a slug: none can be made from this name."),
        ({"domain": "nope"}, "domain", "No domain has the slug nope."),
        (
            {"lifecycle": "gone"},
            "lifecycle",
            '"gone" is not one of draft, published, deprecated, retired.',
        ),
        (
            {"classification": {"a": 1}},
            "classification",
            "\"{'a': 1}\" is not one of public, internal, confidential, restricted.",
        ),
        (
            {"contains_personal_data": "maybe"},
            "contains_personal_data",
            "Must be a valid boolean.",
        ),
        ({"tags": "sales"}, "tags", 'Expected a list of items but got type "str".'),
        (
            {"slug": "not a slug"},
            "slug",
            'Enter a valid "slug" consisting of letters, numbers, underscores '
            "or hyphens.",
        ),
        (
            {"description": "a\x00b"},
            "description",
            "description contains a NUL character, which no value can contain.",
        ),
    ],
)
def test_bad_product_input_names_field(api, owner, changes, field, message):
    response = call(api(owner), "post", "/products", _product_body(**changes))

    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert error_of(response)["message"] == message


def test_body_that_is_not_an_object_rejected(api, owner):
    response = call(api(owner), "post", "/products", ["Orders"])

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "Invalid data. Expected a dictionary, but got list.",
        "field": None,
    }


def test_steward_updates_product(api, steward, orders):
    response = call(
        api(steward),
        "patch",
        "/products/orders",
        {"lifecycle": "deprecated", "tags": ["legacy"]},
    )

    assert response.status_code == 200
    assert response.json()["lifecycle"] == "deprecated"
    assert response.json()["tags"] == ["legacy"]
    assert response.json()["description"] == "Every order."


def test_put_replaces_product_fields(api, owner, orders):
    body = _product_body(name="Orders", description="")

    response = call(api(owner), "put", "/products/orders", body)

    assert response.status_code == 200
    assert response.json()["description"] == ""
    assert response.json()["tags"] == ["crm"]
    assert response.json()["slug"] == "orders"


def test_slug_can_change_to_a_free_one(api, owner, orders):
    response = call(api(owner), "patch", "/products/orders", {"slug": "all-orders"})

    assert response.status_code == 200
    assert call(api(owner), "get", "/products/all-orders").status_code == 200


@pytest.mark.parametrize("persona", ["technical_contact", "consumer", "auditor"])
def test_readers_may_not_change_product(api, request, orders, persona):
    client = api(request.getfixturevalue(persona))

    read = call(client, "get", "/products/orders")
    write = call(client, "patch", "/products/orders", {"name": "Mine"})

    assert read.status_code == 200
    assert write.status_code == 403
    assert error_of(write) == {
        "code": "permission_denied",
        "message": "You may not change this.",
        "field": None,
    }


def test_owner_deletes_product(api, owner, orders):
    response = call(api(owner), "delete", "/products/orders")

    assert response.status_code == 204
    assert not DataProduct.objects.filter(slug="orders").exists()


def test_admin_changes_any_product(api, admin_user, orders):
    response = call(api(admin_user), "patch", "/products/orders", {"name": "Sales"})

    assert response.status_code == 200
    assert response.json()["name"] == "Sales"


def test_outsider_gets_401(outsider, orders):
    response = call(outsider, "get", "/products")

    assert response.status_code == 401
    assert error_of(response) == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "field": None,
    }


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_invisible_product_is_404_not_403(api, owner, consumer, method):
    make_product("Locked", owner=owner, classification=Classification.RESTRICTED)

    body = None if method == "get" else {"name": "x"}

    response = call(api(consumer), method, "/products/locked", body)

    assert response.status_code == 404
    assert error_of(response) == {
        "code": "not_found",
        "message": "Data product 'locked' not found.",
        "field": None,
    }


def test_list_holds_only_visible_products(api, owner, consumer):
    make_product("Open", owner=owner)
    make_product("Sketch", owner=owner, lifecycle=Lifecycle.DRAFT)

    consumer_view = call(api(consumer), "get", "/products").json()
    owner_view = call(api(owner), "get", "/products").json()

    assert [p["slug"] for p in consumer_view["results"]] == ["open"]
    assert consumer_view["count"] == 1
    assert [p["slug"] for p in owner_view["results"]] == ["open", "sketch"]


def test_read_key_reads_but_may_not_write(client, owner, orders):
    _, key = api_key_create(name="reader", scopes=["read"], user=owner)

    read = call(client, "get", "/products/orders", key=key)
    write = call(client, "patch", "/products/orders", {"name": "x"}, key=key)

    assert read.status_code == 200
    assert write.status_code == 403
    assert error_of(write)["message"] == "This API key lacks the catalog:write scope."


def test_userless_read_key_sees_open_products(client, reader_key, owner):
    make_product("Open", owner=owner)
    make_product("Locked", owner=owner, classification=Classification.RESTRICTED)

    response = call(client, "get", "/products", key=reader_key)

    assert [p["slug"] for p in response.json()["results"]] == ["open"]


def test_lineage_write_key_refused(client, pipeline_key, orders):
    response = call(client, "get", "/products", key=pipeline_key)

    assert response.status_code == 403
    assert error_of(response)["message"] == "This API key lacks the read scope."


def test_catalog_write_key_acts_as_its_user(client, owner, consumer, orders):
    _, owner_key = api_key_create(name="ci", scopes=["catalog:write"], user=owner)
    _, consumer_key = api_key_create(
        name="ci2", scopes=["catalog:write"], user=consumer
    )
    body = {"lifecycle": "deprecated"}

    by_owner = call(client, "patch", "/products/orders", body, key=owner_key)
    by_consumer = call(client, "patch", "/products/orders", body, key=consumer_key)

    assert by_owner.status_code == 200
    assert by_consumer.status_code == 403


def test_session_write_needs_csrf_token(owner, orders):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = call(client, "patch", "/products/orders", {"name": "x"})

    assert response.status_code == 403
    assert error_of(response)["message"] == "CSRF Failed: CSRF cookie not set."


# Filtering and ordering


@pytest.fixture
def shelf(owner, steward):
    marketing = make_domain("Marketing")
    make_product("Orders", owner=owner, tags=["sales"])
    make_product(
        "Leads",
        owner=steward,
        domain=marketing,
        lifecycle=Lifecycle.DEPRECATED,
        contains_personal_data=True,
    )
    make_product("Ledger", owner=owner, classification=Classification.CONFIDENTIAL)
    owners = Group.objects.create(name="Marketing owners")
    owner.groups.add(owners)
    leads = DataProduct.objects.get(slug="leads")
    ownership_add(product=leads, role=Ownership.Role.OWNER, group=owners)


@pytest.mark.parametrize(
    "query, slugs",
    [
        ("", ["leads", "ledger", "orders"]),
        ("domain=marketing", ["leads"]),
        ("lifecycle=deprecated", ["leads"]),
        ("classification=confidential", ["ledger"]),
        ("tag=sales", ["orders"]),
        ("owner=steward", ["leads"]),
        ("owner=owner", ["leads", "ledger", "orders"]),
        ("owner=nobody", []),
        ("contains_personal_data=true", ["leads"]),
        ("contains_personal_data=false", ["ledger", "orders"]),
        ("q=LE", ["leads", "ledger"]),
        ("ordering=-name", ["orders", "ledger", "leads"]),
        ("ordering=-created_at", ["ledger", "leads", "orders"]),
        ("ordering=updated_at&limit=1&offset=1", ["leads"]),
    ],
)
def test_products_filtered(api, consumer, shelf, query, slugs):
    response = call(api(consumer), "get", f"/products?{query}")

    assert response.status_code == 200
    assert [p["slug"] for p in response.json()["results"]] == slugs


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("domain=nope", "domain", 'No domain has the slug "nope".'),
        ("tag=nope", "tag", 'No tag is named "nope".'),
        (
            "lifecycle=alive",
            "lifecycle",
            '"alive" is not one of draft, published, deprecated, retired.',
        ),
        (
            "classification=secret",
            "classification",
            '"secret" is not one of public, internal, confidential, restricted.',
        ),
        (
            "contains_personal_data=yes",
            "contains_personal_data",
            '"yes" is not one of true, false.',
        ),
        (
            "ordering=size",
            "ordering",
            '"size" is not one of name, updated_at, created_at, each optionally '
            "preceded by -.",
        ),
        (
            f"q={'x' * 201}",
            "q",
            "Ensure this value has at most 200 characters (it has 201).",
        ),
        ("limit=0", "limit", "limit must be a whole number from 1 to 1000."),
    ],
)
def test_bad_filter_value_names_parameter(api, consumer, shelf, query, field, message):
    response = call(api(consumer), "get", f"/products?{query}")

    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert error_of(response)["message"] == message


# Query counts


def _many_products(owner, steward, count):
    for number in range(count):
        product = make_product(
            f"Product {number}", owner=owner, stewards=[steward], tags=["a", "b"]
        )
        output_port_add(
            product=product, dataset=make_dataset("s3://bucket", f"/p/{number}")
        )
        service_level_set(product=product, schedule="0 6 * * *")


@pytest.mark.parametrize("count", [1, 6])
def test_product_list_query_count(
    api, consumer, owner, steward, count, django_assert_num_queries
):
    _many_products(owner, steward, count)
    client = api(consumer)

    # Session, user, the model-wide view permission (visibility),
    # domain, tag, count, page, tags, ownerships, ports.
    with django_assert_num_queries(10):
        response = call(client, "get", "/products?tag=a&domain=finance")

    assert response.json()["count"] == count


@pytest.mark.parametrize("count", [1, 6])
def test_product_list_query_count_with_key(
    client, reader_key, owner, steward, count, django_assert_num_queries
):
    _many_products(owner, steward, count)

    # API key, count, page, tags, ownerships, ports.
    with django_assert_num_queries(6):
        response = call(client, "get", "/products", key=reader_key)

    assert response.json()["count"] == count


def test_product_detail_query_count(
    api, consumer, owner, steward, django_assert_num_queries
):
    _many_products(owner, steward, 3)
    client = api(consumer)

    # Session, user, model-wide view permission, product, tags, ownerships, ports.
    with django_assert_num_queries(7):
        response = call(client, "get", "/products/product-1")

    assert response.status_code == 200


@pytest.mark.parametrize("path", ["owners", "ports", "sla", "features"])
def test_nested_paths_of_invisible_product_are_404(api, owner, consumer, path):
    make_product("Locked", owner=owner, classification=Classification.RESTRICTED)

    response = call(api(consumer), "get", f"/products/locked/{path}")

    assert response.status_code == 404
    assert error_of(response)["message"] == "Data product 'locked' not found."


def test_auditor_reads_restricted_product(api, owner, auditor):
    make_product("Locked", owner=owner, classification=Classification.RESTRICTED)

    response = call(api(auditor), "get", "/products/locked")

    assert response.status_code == 200
