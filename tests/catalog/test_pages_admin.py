"""Django admin for stewards: staff see and change only the products they manage."""

from datetime import UTC, datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import RequestFactory

from catalog.models import DataProduct, Ownership, SlaPeriod, SlaStatus
from tests.catalog_factories import make_domain, make_product

STAFF_PERMISSIONS = [
    "view_dataproduct",
    "change_dataproduct",
    "add_dataproduct",
    "view_ownership",
    "change_ownership",
    "view_slaperiod",
    "change_slaperiod",
    "view_domain",
]


@pytest.fixture
def staff_steward(steward):
    steward.is_staff = True
    steward.save()
    steward.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="catalog", codename__in=STAFF_PERMISSIONS
        )
    )
    return steward


@pytest.fixture
def products(owner, staff_steward):
    stewarded = make_product("Stewarded", owner=owner, stewards=[staff_steward])
    other = make_product("Other", owner=owner)
    return {"stewarded": stewarded, "other": other}


def _changelist_names(response) -> list[str]:
    return sorted(product.name for product in response.context["cl"].result_list)


def _request_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_superuser_sees_every_product(client, admin_user, products):
    client.force_login(admin_user)

    response = client.get("/admin/catalog/dataproduct/")

    assert response.status_code == 200
    assert _changelist_names(response) == ["Other", "Stewarded"]


def test_staff_steward_sees_only_managed_products(client, staff_steward, products):
    client.force_login(staff_steward)
    stewarded = products["stewarded"]

    response = client.get("/admin/catalog/dataproduct/")
    change_page = client.get(f"/admin/catalog/dataproduct/{stewarded.pk}/change/")

    assert _changelist_names(response) == ["Stewarded"]
    assert change_page.status_code == 200
    assert b'name="name"' in change_page.content


def test_staff_steward_cannot_open_other_product(client, staff_steward, products):
    client.force_login(staff_steward)
    other = products["other"]

    response = client.get(f"/admin/catalog/dataproduct/{other.pk}/change/")
    deleted = client.post(
        f"/admin/catalog/dataproduct/{other.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert deleted.status_code in (302, 403)
    assert DataProduct.objects.filter(pk=other.pk).exists()


def test_change_permission_follows_product_roles(staff_steward, products):
    model_admin = admin.site._registry[DataProduct]
    request = _request_for(staff_steward)

    assert model_admin.has_change_permission(request, products["stewarded"])
    assert not model_admin.has_change_permission(request, products["other"])
    assert not model_admin.has_delete_permission(request, products["stewarded"])


def test_ownership_admin_scoped_to_managed_products(staff_steward, products):
    model_admin = admin.site._registry[Ownership]
    request = _request_for(staff_steward)

    visible = model_admin.get_queryset(request)

    assert {o.product.name for o in visible} == {"Stewarded"}
    assert not model_admin.has_change_permission(
        request, products["other"].ownerships.get()
    )


def test_roles_are_read_only_in_the_admin(admin_user, products):
    model_admin = admin.site._registry[Ownership]
    request = _request_for(admin_user)
    ownership = products["stewarded"].ownerships.first()

    assert model_admin.has_view_permission(request, ownership)
    assert not model_admin.has_change_permission(request, ownership)
    assert not model_admin.has_delete_permission(request, ownership)
    assert not model_admin.has_add_permission(request)


def test_sla_periods_are_read_only(client, staff_steward, products):
    period = SlaPeriod.objects.create(
        product=products["stewarded"],
        status=SlaStatus.MET,
        started_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    client.force_login(staff_steward)

    page = client.get(f"/admin/catalog/slaperiod/{period.pk}/change/")
    add = client.get("/admin/catalog/slaperiod/add/")

    assert page.status_code == 200
    assert b'name="status"' not in page.content
    assert add.status_code == 403


def test_product_added_in_admin_gets_its_owner(client, staff_steward):
    domain = make_domain("Finance")
    client.force_login(staff_steward)

    response = client.post(
        "/admin/catalog/dataproduct/add/",
        {
            "name": "From admin",
            "slug": "from-admin",
            "domain": domain.pk,
            "description": "",
            "lifecycle": "draft",
            "classification": "internal",
            "ownerships-TOTAL_FORMS": "0",
            "ownerships-INITIAL_FORMS": "0",
            "output_ports-TOTAL_FORMS": "0",
            "output_ports-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    product = DataProduct.objects.get(slug="from-admin")
    assert product.created_by == staff_steward
    ownership = product.ownerships.get()
    assert (ownership.user, ownership.role) == (staff_steward, "owner")


def test_consumer_without_staff_flag_is_sent_to_login(client, consumer, products):
    client.force_login(consumer)

    response = client.get("/admin/catalog/dataproduct/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
