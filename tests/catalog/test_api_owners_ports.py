import pytest
from django.contrib.auth.models import Group

from catalog.models import DataProduct, OutputPort, Ownership
from catalog.services import output_port_add
from tests.catalog.api_helpers import call, error_of
from tests.catalog_factories import make_product
from tests.factories import make_dataset

Role = Ownership.Role


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def orders(owner, steward):
    return make_product("Orders", owner=owner, stewards=[steward])


def test_owner_adds_steward_by_username(api, owner, consumer, orders):
    body = {"role": "steward", "user": "consumer"}

    response = call(api(owner), "post", "/products/orders/owners", body)

    assert response.status_code == 201
    assert response.json()["user"] == "consumer"
    assert response.json()["group"] is None
    assert Ownership.objects.filter(product=orders, user=consumer).exists()


def test_steward_adds_group_as_technical_contact(api, steward, orders):
    Group.objects.create(name="Platform team")
    body = {"role": "technical_contact", "group": "Platform team"}

    response = call(api(steward), "post", "/products/orders/owners", body)

    assert response.status_code == 201
    assert response.json()["group"] == "Platform team"
    assert response.json()["role"] == "technical_contact"


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"role": "owner", "user": "ghost"}, "user", "No user is named 'ghost'."),
        ({"role": "owner", "group": "ghosts"}, "group", "No group is named 'ghosts'."),
        (
            {"role": "owner"},
            "user",
            "Name either a user or a group, not both and not neither.",
        ),
        (
            {"role": "owner", "user": "owner", "group": "Data owners"},
            "user",
            "Name either a user or a group, not both and not neither.",
        ),
        (
            {"role": "boss", "user": "owner"},
            "role",
            '"boss" is not one of owner, steward, technical_contact.',
        ),
    ],
)
def test_bad_ownership_names_field(api, owner, orders, body, field, message):
    response = call(api(owner), "post", "/products/orders/owners", body)

    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert error_of(response)["message"] == message


def test_last_owner_cannot_be_removed(api, owner, orders):
    ownership = orders.ownerships.get(role=Role.OWNER)

    response = call(api(owner), "delete", f"/products/orders/owners/{ownership.pk}")

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "A product keeps at least one owner: add another first.",
        "field": "role",
    }


def test_steward_removed_by_owner(api, owner, steward, orders):
    ownership = orders.ownerships.get(user=steward)

    response = call(api(owner), "delete", f"/products/orders/owners/{ownership.pk}")

    assert response.status_code == 204
    assert not orders.ownerships.filter(user=steward).exists()


def test_consumer_may_not_add_owner(api, consumer, orders):
    body = {"role": "owner", "user": "consumer"}

    response = call(api(consumer), "post", "/products/orders/owners", body)

    assert response.status_code == 403
    assert not orders.ownerships.filter(user=consumer).exists()


def test_ownership_of_other_product_is_404(api, owner, orders):
    other = make_product("Ledger", owner=owner)
    ownership = other.ownerships.get()

    response = call(api(owner), "delete", f"/products/orders/owners/{ownership.pk}")

    assert response.status_code == 404
    assert error_of(response)["message"] == (
        f"Ownership {ownership.pk} not found on this product."
    )


@pytest.mark.parametrize("count", [1, 6])
def test_ownership_list_query_count(
    api, consumer, owner, orders, count, django_assert_num_queries
):
    for number in range(count):
        group = Group.objects.create(name=f"Group {number}")
        orders.ownerships.create(role=Role.TECHNICAL_CONTACT, group=group)
    client = api(consumer)

    # Session, user, model-wide view permission, product, count, page.
    with django_assert_num_queries(6):
        response = call(client, "get", "/products/orders/owners")

    assert response.json()["count"] == count + 2


# Output ports


def test_owner_adds_port_by_namespace_and_name(api, owner, orders):
    make_dataset("s3://bucket", "/orders")
    body = {"namespace": "s3://bucket", "name": "/orders", "description": "Daily."}

    response = call(api(owner), "post", "/products/orders/ports", body)

    assert response.status_code == 201
    assert response.json()["node_id"] == "dataset:s3://bucket:/orders"
    assert response.json()["description"] == "Daily."
    assert OutputPort.objects.get().product == orders


def test_alias_resolves_to_canonical_dataset(api, owner, orders):
    table = make_dataset("warehouse", "sales.orders")
    make_dataset("s3://bucket", "/orders", canonical=table)
    body = {"namespace": "s3://bucket", "name": "/orders"}

    response = call(api(owner), "post", "/products/orders/ports", body)

    assert response.status_code == 201
    assert response.json()["name"] == "sales.orders"


def test_unknown_dataset_names_field(api, owner, orders):
    body = {"namespace": "s3://bucket", "name": "/nope"}

    response = call(api(owner), "post", "/products/orders/ports", body)

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "not_found",
        "message": "Dataset '/nope' not found in namespace 's3://bucket'.",
        "field": "name",
    }


def test_dataset_of_another_product_rejected(api, owner, orders):
    ledger = make_product("Ledger", owner=owner)
    output_port_add(product=ledger, dataset=make_dataset("s3://bucket", "/orders"))
    body = {"namespace": "s3://bucket", "name": "/orders"}

    response = call(api(owner), "post", "/products/orders/ports", body)

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "This dataset is already published by data product 'ledger'.",
        "field": "name",
    }


def test_invisible_publisher_not_named(api, owner, steward, orders):
    locked = make_product(
        "Locked", owner=owner, classification=DataProduct.Classification.RESTRICTED
    )
    output_port_add(product=locked, dataset=make_dataset("s3://bucket", "/orders"))
    body = {"namespace": "s3://bucket", "name": "/orders"}

    response = call(api(steward), "post", "/products/orders/ports", body)

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "This dataset is already published by another data product."
    )


def test_port_removed(api, steward, orders):
    port = output_port_add(product=orders, dataset=make_dataset("s3://b", "/o"))

    response = call(api(steward), "delete", f"/products/orders/ports/{port.pk}")

    assert response.status_code == 204
    assert not OutputPort.objects.exists()


def test_consumer_may_not_remove_port(api, consumer, orders):
    port = output_port_add(product=orders, dataset=make_dataset("s3://b", "/o"))

    response = call(api(consumer), "delete", f"/products/orders/ports/{port.pk}")

    assert response.status_code == 403
    assert OutputPort.objects.exists()


@pytest.mark.parametrize("count", [1, 6])
def test_port_list_query_count(api, consumer, orders, count, django_assert_num_queries):
    for number in range(count):
        output_port_add(product=orders, dataset=make_dataset("s3://b", f"/{number}"))
    client = api(consumer)

    # Session, user, model-wide view permission, product, count, page.
    with django_assert_num_queries(6):
        response = call(client, "get", "/products/orders/ports")

    assert response.json()["count"] == count


@pytest.mark.parametrize("kind", ["owners", "ports", "features"])
def test_id_beyond_bigint_is_404(api, owner, orders, kind):
    response = call(api(owner), "get", f"/products/orders/{kind}/99999999999999999999")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_malformed_json_rejected(api, owner, orders):
    response = api(owner).post(
        "/api/v1/catalog/products/orders/owners",
        "{not json",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_steward_cannot_take_over_or_delete(client, owner, steward):
    from core.services import api_key_create
    from tests.catalog_factories import make_product

    product = make_product("Ledger", owner=owner, stewards=[steward])
    _, key = api_key_create(
        name="steward", scopes=["catalog:write", "read"], user=steward
    )
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    owner_row = product.ownerships.get(role="owner")

    promote = client.post(
        "/api/v1/catalog/products/ledger/owners",
        {"role": "owner", "user": "steward"},
        content_type="application/json",
        **headers,
    )
    evict = client.delete(
        f"/api/v1/catalog/products/ledger/owners/{owner_row.pk}", **headers
    )
    delete = client.delete("/api/v1/catalog/products/ledger", **headers)

    assert promote.status_code == 403
    assert promote.json()["error"]["message"] == (
        "Only the product's owners may change its owners."
    )
    assert evict.status_code == 403
    assert delete.status_code == 403
    assert (
        delete.json()["error"]["message"] == "Only the product's owners may delete it."
    )
    assert list(product.ownerships.values_list("role", flat=True).order_by("role")) == [
        "owner",
        "steward",
    ]
