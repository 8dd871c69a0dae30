import pytest
from django.core.exceptions import ValidationError

from catalog.models import Ownership
from catalog.services import (
    output_port_add,
    ownership_add,
    ownership_remove,
    product_create,
    product_update,
)
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset


def test_product_create_sets_owner_and_slug(owner):
    product = product_create(
        name="Customer 360", domain=make_domain(), created_by=owner, tags=["PII", "crm"]
    )

    assert product.slug == "customer-360"
    assert list(product.ownerships.values_list("user__username", "role")) == [
        ("owner", "owner")
    ]
    assert sorted(product.tags.values_list("name", flat=True)) == ["crm", "pii"]


def test_duplicate_slug_names_the_field(owner):
    make_product("Orders", owner=owner)

    with pytest.raises(ValidationError) as error:
        product_create(name="Orders", domain=make_domain(), created_by=owner)

    assert error.value.message_dict == {
        "slug": ["Data product with this Slug already exists."]
    }


def test_last_owner_stays(owner, steward):
    product = make_product("Orders", owner=owner, stewards=[steward])
    only_owner = product.ownerships.get(role=Ownership.Role.OWNER)

    with pytest.raises(ValidationError) as error:
        ownership_remove(ownership=only_owner)
    assert error.value.message_dict == {
        "role": ["A product keeps at least one owner: add another first."]
    }

    ownership_add(product=product, role=Ownership.Role.OWNER, user=steward)
    ownership_remove(ownership=only_owner)
    assert list(
        product.ownerships.filter(role="owner").values_list("user__username", flat=True)
    ) == ["steward"]


def test_adding_a_role_twice_keeps_one(owner, steward):
    product = make_product("Orders", owner=owner)

    ownership_add(product=product, role="steward", user=steward)
    ownership_add(product=product, role="steward", user=steward)

    assert product.ownerships.filter(user=steward).count() == 1


def test_output_port_one_product_per_dataset(owner):
    dataset = make_dataset("lake", "orders")
    orders = make_product("Orders", owner=owner)
    copy = make_product("Orders copy", owner=owner)
    output_port_add(product=orders, dataset=dataset)

    with pytest.raises(ValidationError) as error:
        output_port_add(product=copy, dataset=dataset)

    assert error.value.message_dict == {
        "dataset": ["This dataset is already published by another data product."]
    }
    assert output_port_add(product=orders, dataset=dataset).product == orders


def test_update_replaces_tags_only_when_given(owner):
    product = make_product("Orders", owner=owner, tags=["sales"])

    product_update(product=product, description="Orders placed online.")
    assert list(product.tags.values_list("name", flat=True)) == ["sales"]

    product_update(product=product, tags=[])
    assert product.tags.count() == 0
