import pytest

from catalog.features import feature_create
from catalog.models import DataProduct, Feature
from tests.catalog.api_helpers import call, error_of
from tests.catalog_factories import make_product
from tests.factories import make_dataset


@pytest.fixture
def api(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


@pytest.fixture
def orders(owner, steward):
    make_dataset("warehouse", "sales.orders", fields=[{"name": "total"}])
    return make_product("Orders", owner=owner, stewards=[steward])


def _feature_body(**changes):
    body = {
        "name": "order_total",
        "entity": "customer",
        "join_keys": ["customer_id"],
        "value_type": "float64",
        "description": "Sum of a customer's orders.",
        "source_dataset": {"namespace": "warehouse", "name": "sales.orders"},
        "source_column": "total",
        "freshness": "P1D",
    }
    body.update(changes)
    return body


def _make_feature(product, name="order_total"):
    return feature_create(
        product=product,
        name=name,
        entity="customer",
        join_keys=["customer_id"],
        value_type="int64",
        source_namespace="warehouse",
        source_name="sales.orders",
    )


def test_steward_creates_feature(api, steward, orders):
    response = call(api(steward), "post", "/products/orders/features", _feature_body())

    assert response.status_code == 201
    body = response.json()
    assert body["product"] == "orders"
    assert body["join_keys"] == ["customer_id"]
    assert body["source_dataset"] == {
        "namespace": "warehouse",
        "name": "sales.orders",
        "node_id": "dataset:warehouse:sales.orders",
    }
    assert body["source_column"] == "total"
    assert body["freshness"] == "P1DT00H00M00S"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"join_keys": []}, "join_keys", "Give at least one join key."),
        (
            {"join_keys": ["a", "a"]},
            "join_keys",
            "Join keys must be distinct: a repeats.",
        ),
        (
            {"join_keys": "customer_id"},
            "join_keys",
            'Expected a list of items but got type "str".',
        ),
        (
            {"value_type": "decimal"},
            "value_type",
            '"decimal" is not one of int32, int64, float32, float64, string, bytes, '
            "bool, timestamp, int64_list, float32_list, float64_list, string_list.",
        ),
        (
            {"source_dataset": {"namespace": "warehouse", "name": "nope"}},
            "source_dataset",
            "Dataset 'nope' not found in namespace 'warehouse'.",
        ),
        (
            {"source_dataset": {"namespace": "warehouse"}},
            "source_dataset.name",
            "This field is required.",
        ),
        (
            {"source_column": "missing"},
            "source_column",
            "Column 'missing' is not in the current schema of warehouse:sales.orders.",
        ),
        ({"entity": ""}, "entity", "This field may not be blank."),
        (
            {"join_keys": ["a\x00"]},
            "join_keys[0]",
            "join_keys[0] contains a NUL character, which no value can contain.",
        ),
    ],
)
def test_bad_feature_names_field(api, owner, orders, changes, field, message):
    response = call(
        api(owner), "post", "/products/orders/features", _feature_body(**changes)
    )

    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert error_of(response)["message"] == message
    assert not Feature.objects.exists()


def test_duplicate_feature_name_names_field(api, owner, orders):
    _make_feature(orders)

    response = call(api(owner), "post", "/products/orders/features", _feature_body())

    assert response.status_code == 400
    assert error_of(response) == {
        "code": "invalid",
        "message": "This product already has a feature named 'order_total'.",
        "field": "name",
    }


def test_patch_changes_only_given_fields(api, owner, orders):
    feature = _make_feature(orders)

    response = call(
        api(owner),
        "patch",
        f"/products/orders/features/{feature.pk}",
        {"description": "Lifetime value.", "freshness": "PT1H"},
    )

    assert response.status_code == 200
    assert response.json()["description"] == "Lifetime value."
    assert response.json()["source_dataset"]["name"] == "sales.orders"
    assert response.json()["value_type"] == "int64"


def test_put_without_source_clears_it(api, owner, orders):
    feature = _make_feature(orders)
    body = _feature_body(source_dataset=None, source_column="")

    response = call(api(owner), "put", f"/products/orders/features/{feature.pk}", body)

    assert response.status_code == 200
    assert response.json()["source_dataset"] is None


def test_consumer_reads_but_may_not_change_features(api, consumer, orders):
    feature = _make_feature(orders)
    client = api(consumer)

    read = call(client, "get", f"/products/orders/features/{feature.pk}")
    write = call(client, "delete", f"/products/orders/features/{feature.pk}")

    assert read.status_code == 200
    assert write.status_code == 403
    assert Feature.objects.exists()


def test_owner_deletes_feature(api, owner, orders):
    feature = _make_feature(orders)

    response = call(api(owner), "delete", f"/products/orders/features/{feature.pk}")

    assert response.status_code == 204
    assert not Feature.objects.exists()


def test_feature_of_other_product_is_404(api, owner, orders):
    feature = _make_feature(make_product("Ledger", owner=owner))

    response = call(api(owner), "get", f"/products/orders/features/{feature.pk}")

    assert response.status_code == 404
    assert error_of(response)["message"] == (
        f"Feature {feature.pk} not found on this product."
    )


def test_feature_list_holds_visible_products_only(api, owner, consumer, orders):
    locked = make_product(
        "Locked", owner=owner, classification=DataProduct.Classification.RESTRICTED
    )
    _make_feature(orders, "visible_one")
    _make_feature(locked, "hidden_one")

    consumer_view = call(api(consumer), "get", "/features").json()
    owner_view = call(api(owner), "get", "/features").json()

    assert [f["name"] for f in consumer_view["results"]] == ["visible_one"]
    assert [f["name"] for f in owner_view["results"]] == ["hidden_one", "visible_one"]


@pytest.mark.parametrize(
    "query, names",
    [
        ("product=orders", ["a_total", "b_count"]),
        ("product=nope", []),
        ("value_type=int64", ["a_total", "b_count"]),
        ("value_type=string", []),
        ("entity=customer", ["a_total", "b_count"]),
        ("q=COUNT", ["b_count"]),
        ("ordering=-name", ["b_count", "a_total"]),
    ],
)
def test_features_filtered(api, consumer, orders, query, names):
    _make_feature(orders, "a_total")
    _make_feature(orders, "b_count")

    response = call(api(consumer), "get", f"/features?{query}")

    assert [f["name"] for f in response.json()["results"]] == names


def test_bad_feature_filter_names_parameter(api, consumer, orders):
    response = call(api(consumer), "get", "/features?value_type=decimal")

    assert response.status_code == 400
    assert error_of(response)["field"] == "value_type"


def test_feature_list_is_read_only(api, owner, orders):
    response = call(api(owner), "post", "/features", _feature_body())

    assert response.status_code == 405


@pytest.mark.parametrize("path", ["/features", "/products/orders/features"])
@pytest.mark.parametrize("count", [1, 6])
def test_feature_list_query_count(
    api, consumer, orders, path, count, django_assert_num_queries
):
    for number in range(count):
        _make_feature(orders, f"feature_{number}")
    client = api(consumer)

    # Session, user, model-wide view permission, [product,] count, page.
    expected = 5 if path == "/features" else 6
    with django_assert_num_queries(expected):
        response = call(client, "get", path)

    assert response.json()["count"] == count
