"""The feature services' rules, as pages and API share them."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from catalog.features import (
    feature_create,
    feature_delete,
    feature_update,
    schema_field_names,
)
from catalog.models import Feature
from tests.catalog_factories import make_product
from tests.factories import make_dataset

ORDER_FIELDS = [
    {"name": "order_id", "type": "bigint"},
    {
        "name": "customer",
        "type": "struct",
        "fields": [{"name": "id", "type": "bigint"}, {"name": "country"}],
    },
]


@pytest.fixture
def orders(owner):
    return make_product("Orders", owner=owner)


@pytest.fixture
def orders_table(db):
    return make_dataset("warehouse", "sales.orders", fields=ORDER_FIELDS)


def _create(product, **changes):
    arguments = {
        "product": product,
        "name": "order_total",
        "entity": "customer",
        "join_keys": ["customer_id"],
        "value_type": Feature.ValueType.FLOAT64,
    }
    arguments.update(changes)
    return feature_create(**arguments)


def _message(error: pytest.ExceptionInfo, field: str) -> str:
    return error.value.message_dict[field][0]


def test_schema_field_names_dotted():
    assert schema_field_names(ORDER_FIELDS) == {
        "order_id",
        "customer",
        "customer.id",
        "customer.country",
    }


def test_schema_field_names_skip_malformed_entries():
    assert schema_field_names([{"type": "int"}, "x", {"name": "a", "fields": 3}]) == {
        "a"
    }


def test_feature_with_nested_source_column(orders, orders_table):
    feature = _create(
        orders,
        source_namespace="warehouse",
        source_name="sales.orders",
        source_column="customer.country",
    )

    assert feature.source_dataset == orders_table
    assert feature.source_column == "customer.country"


def test_alias_source_resolves_to_canonical(orders, orders_table):
    make_dataset("s3://bucket", "/orders", canonical=orders_table)

    feature = _create(orders, source_namespace="s3://bucket", source_name="/orders")

    assert feature.source_dataset == orders_table


def test_column_outside_schema_rejected(orders, orders_table):
    with pytest.raises(ValidationError) as error:
        _create(
            orders,
            source_namespace="warehouse",
            source_name="sales.orders",
            source_column="customer.city",
        )

    assert _message(error, "source_column") == (
        "Column 'customer.city' is not in the current schema of warehouse:sales.orders."
    )


def test_any_column_accepted_without_schema(orders):
    make_dataset("warehouse", "raw.events")

    feature = _create(
        orders,
        source_namespace="warehouse",
        source_name="raw.events",
        source_column="anything",
    )

    assert feature.source_column == "anything"


def test_unknown_source_dataset_rejected(orders):
    with pytest.raises(ValidationError) as error:
        _create(orders, source_namespace="warehouse", source_name="nope")

    assert _message(error, "source_dataset") == (
        "Dataset 'nope' not found in namespace 'warehouse'."
    )


def test_column_without_dataset_rejected(orders):
    with pytest.raises(ValidationError) as error:
        _create(orders, source_column="order_id")

    assert _message(error, "source_column") == (
        "Name the source dataset that this column belongs to."
    )


@pytest.mark.parametrize(
    "join_keys, message",
    [
        ([], "Give at least one join key."),
        (["a", " "], "Every join key must be a non-empty name."),
        (["a", "b", "a"], "Join keys must be distinct: a repeats."),
    ],
)
def test_bad_join_keys_rejected(orders, join_keys, message):
    with pytest.raises(ValidationError) as error:
        _create(orders, join_keys=join_keys)

    assert _message(error, "join_keys") == message
    assert not Feature.objects.exists()


def test_duplicate_feature_name_rejected(orders):
    _create(orders)

    with pytest.raises(ValidationError) as error:
        _create(orders)

    assert _message(error, "name") == (
        "This product already has a feature named 'order_total'."
    )


def test_zero_freshness_rejected(orders):
    with pytest.raises(ValidationError) as error:
        _create(orders, freshness=timedelta(0))

    assert _message(error, "freshness") == "Freshness must be longer than zero."


def test_update_checks_column_against_new_dataset(orders, orders_table):
    make_dataset("warehouse", "sales.refunds", fields=[{"name": "refund_id"}])
    feature = _create(
        orders,
        source_namespace="warehouse",
        source_name="sales.orders",
        source_column="order_id",
    )

    with pytest.raises(ValidationError) as error:
        feature_update(feature=feature, source_name="sales.refunds")

    assert "source_column" in error.value.message_dict
    feature.refresh_from_db()
    assert feature.source_dataset == orders_table


def test_update_clears_source(orders, orders_table):
    feature = _create(orders, source_namespace="warehouse", source_name="sales.orders")

    feature_update(feature=feature, source_namespace="", source_name="")

    feature.refresh_from_db()
    assert feature.source_dataset is None


def test_feature_deleted(orders):
    feature = _create(orders)

    feature_delete(feature=feature)

    assert not Feature.objects.exists()
