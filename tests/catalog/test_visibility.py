from django.contrib.auth.models import AnonymousUser, Group
from guardian.shortcuts import assign_perm

from catalog.models import DataProduct
from catalog.permissions import (
    can_manage_product,
    can_register_product,
    can_view_product,
)
from catalog.selectors import products_visible_to
from core.authentication import ApiKeyUser
from core.services import api_key_create
from tests.catalog_factories import make_product

Lifecycle = DataProduct.Lifecycle
Classification = DataProduct.Classification


def _names(user):
    return sorted(products_visible_to(user).values_list("name", flat=True))


def _estate(owner):
    make_product("Open", owner=owner, classification=Classification.PUBLIC)
    make_product("Internal", owner=owner)
    make_product("Secret", owner=owner, classification=Classification.CONFIDENTIAL)
    make_product("Locked", owner=owner, classification=Classification.RESTRICTED)
    make_product("Sketch", owner=owner, lifecycle=Lifecycle.DRAFT)


def test_consumer_visibility_hides_restricted_drafts(owner, consumer):
    _estate(owner)

    assert _names(consumer) == ["Internal", "Open", "Secret"]


def test_owner_admin_and_auditor_see_every_product(owner, admin_user, auditor):
    _estate(owner)
    everything = ["Internal", "Locked", "Open", "Secret", "Sketch"]

    assert _names(owner) == everything
    assert _names(admin_user) == everything
    assert _names(auditor) == everything


def test_steward_through_a_group_sees_a_draft(owner, steward):
    from catalog.services import ownership_add

    stewards = Group.objects.create(name="Finance stewards")
    steward.groups.add(stewards)
    sketch = make_product("Sketch", owner=owner, lifecycle=Lifecycle.DRAFT)
    ownership_add(product=sketch, role="steward", group=stewards)

    assert _names(steward) == ["Sketch"]
    assert can_manage_product(steward, sketch)


def test_guardian_grant_shows_a_restricted_product(owner, consumer):
    locked = make_product(
        "Locked", owner=owner, classification=Classification.RESTRICTED
    )
    assert not can_view_product(consumer, locked)

    assign_perm("catalog.view_dataproduct", consumer, locked)

    assert can_view_product(consumer, locked)
    assert not can_manage_product(consumer, locked)


def test_outsider_and_keys_without_a_user(owner, db):
    _estate(owner)
    api_key, _ = api_key_create(name="reader", scopes=["read"])

    assert _names(AnonymousUser()) == []
    assert _names(ApiKeyUser(api_key)) == ["Internal", "Open", "Secret"]
    assert not can_register_product(ApiKeyUser(api_key))


def test_only_data_owners_and_admins_register_products(
    owner, consumer, auditor, admin_user
):
    assert can_register_product(owner)
    assert can_register_product(admin_user)
    assert not can_register_product(consumer)
    assert not can_register_product(auditor)


def test_one_product_check_matches_the_list_rule(
    owner, steward, consumer, auditor, admin_user, db
):
    """`is_visible_to` decides alone for a product already read: it must agree
    with `products_visible_to` for every persona and every kind of product."""
    from catalog.selectors import is_visible_to
    from catalog.services import ownership_add

    _estate(owner)
    stewards = Group.objects.create(name="Stewards")
    steward.groups.add(stewards)
    ownership_add(
        product=DataProduct.objects.get(name="Sketch"), role="steward", group=stewards
    )
    assign_perm(
        "catalog.view_dataproduct", consumer, DataProduct.objects.get(name="Locked")
    )
    api_key, _ = api_key_create(name="reader", scopes=["read"])
    users = [owner, steward, consumer, auditor, admin_user, AnonymousUser()]

    for user in [*users, ApiKeyUser(api_key)]:
        visible = set(products_visible_to(user).values_list("pk", flat=True))
        for product in DataProduct.objects.all():
            expected = product.pk in visible
            assert is_visible_to(user, product) == expected, (user, product.name)
