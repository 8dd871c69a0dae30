"""Forms that register and change products, their errors and who may use them."""

import pytest
from django.contrib.auth.models import Group

from catalog.models import DataProduct, OutputPort, Ownership
from catalog.services import output_port_add
from tests.catalog.pages import field_errors, messages_of, table
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset

REGISTER = "/catalog/products/new"


def _product_data(domain, **changes) -> dict:
    data = {
        "name": "Orders",
        "slug": "orders",
        "domain": domain.pk,
        "description": "One row per order.",
        "lifecycle": "draft",
        "classification": "internal",
        "contains_personal_data": "on",
        "tags": "Sales, daily, , sales",
    }
    data.update(changes)
    return data


@pytest.fixture
def finance(db):
    return make_domain("Finance")


@pytest.fixture
def orders(owner, steward, finance):
    return make_product("Orders", owner=owner, stewards=[steward], domain=finance)


def test_owner_registers_a_product(client, owner, finance):
    client.force_login(owner)

    response = client.post(REGISTER, _product_data(finance), follow=True)

    product = DataProduct.objects.get(slug="orders")
    assert response.redirect_chain == [("/catalog/products/orders/edit", 302)]
    assert messages_of(response) == [
        "Registered Orders. Link the datasets it publishes below."
    ]
    assert product.domain == finance
    assert product.lifecycle == "draft"
    assert product.contains_personal_data is True
    assert sorted(product.tags.values_list("name", flat=True)) == ["daily", "sales"]
    ownership = product.ownerships.get()
    assert (ownership.user, ownership.role) == (owner, "owner")


def test_register_form_is_labelled(client, owner, finance):
    client.force_login(owner)

    content = client.get(REGISTER).content.decode()

    for field, label in [
        ("name", "Name"),
        ("slug", "Slug"),
        ("domain", "Domain"),
        ("tags", "Tags"),
    ]:
        assert f'<label class="form-label" for="id_{field}">{label}</label>' in content
    assert '<label class="form-check-label" for="id_contains_personal_data">' in (
        content
    )


def test_register_without_slug_derives_it(client, owner, finance):
    client.force_login(owner)

    client.post(REGISTER, _product_data(finance, name="Daily Orders", slug=""))

    assert DataProduct.objects.filter(slug="daily-orders").exists()


def test_register_shows_field_errors(client, owner, finance):
    client.force_login(owner)

    response = client.post(
        REGISTER, _product_data(finance, name="", slug="bad slug!", lifecycle="gone")
    )

    assert response.status_code == 400
    assert field_errors(response, "form") == {
        "name": ["This field is required."],
        "slug": [
            "Enter a valid “slug” consisting of letters, numbers, underscores or "
            "hyphens."
        ],
        "lifecycle": [
            "Select a valid choice. gone is not one of the available choices."
        ],
    }
    assert 'aria-invalid="true"' in response.content.decode()
    assert DataProduct.objects.count() == 0


def test_register_duplicate_slug_shows_service_error(client, owner, orders, finance):
    client.force_login(owner)

    response = client.post(REGISTER, _product_data(finance, name="Other"))

    assert response.status_code == 400
    assert field_errors(response, "form") == {
        "slug": ["Data product with this Slug already exists."]
    }
    assert DataProduct.objects.count() == 1


@pytest.mark.parametrize("persona", ["consumer", "steward", "auditor"])
def test_register_forbidden_without_permission(client, request, finance, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(REGISTER).status_code == 403
    assert client.post(REGISTER, _product_data(finance)).status_code == 403
    assert DataProduct.objects.count() == 0


@pytest.mark.parametrize("persona", ["owner", "steward"])
def test_managers_edit_a_product(client, request, orders, persona):
    client.force_login(request.getfixturevalue(persona))
    data = _product_data(
        orders.domain, name="Orders v2", lifecycle="published", tags="gold"
    )
    del data["contains_personal_data"]

    response = client.post("/catalog/products/orders/edit", data, follow=True)

    orders.refresh_from_db()
    assert messages_of(response) == ["Saved the changes to Orders v2."]
    assert response.redirect_chain == [("/catalog/products/orders/", 302)]
    assert orders.name == "Orders v2"
    assert orders.slug == "orders"
    assert orders.lifecycle == "published"
    assert orders.contains_personal_data is False
    assert list(orders.tags.values_list("name", flat=True)) == ["gold"]


def test_edit_form_shows_current_values(client, owner, orders):
    orders.tags.create(name="sales")
    client.force_login(owner)

    response = client.get("/catalog/products/orders/edit")

    assert response.status_code == 200
    form = response.context["product_form"]
    assert form.initial["name"] == "Orders"
    assert form.initial["tags"] == "sales"
    assert "slug" not in form.fields


def test_edit_shows_field_errors(client, owner, orders):
    client.force_login(owner)

    response = client.post(
        "/catalog/products/orders/edit",
        _product_data(orders.domain, name="", classification="secret"),
    )

    assert response.status_code == 400
    assert field_errors(response, "product_form") == {
        "name": ["This field is required."],
        "classification": [
            "Select a valid choice. secret is not one of the available choices."
        ],
    }
    orders.refresh_from_db()
    assert orders.name == "Orders"


@pytest.mark.parametrize("persona", ["consumer", "auditor"])
def test_edit_forbidden_for_readers(client, request, orders, persona):
    client.force_login(request.getfixturevalue(persona))

    page = client.get("/catalog/products/orders/edit")
    post = client.post(
        "/catalog/products/orders/edit", _product_data(orders.domain, name="Hacked")
    )

    assert page.status_code == 403
    assert post.status_code == 403
    orders.refresh_from_db()
    assert orders.name == "Orders"


def test_edit_by_outsider_redirects_without_change(outsider, orders):
    response = outsider.post(
        "/catalog/products/orders/edit", _product_data(orders.domain, name="Hacked")
    )

    assert response.status_code == 302
    orders.refresh_from_db()
    assert orders.name == "Orders"


def test_owner_adds_user_and_group(client, owner, consumer, orders):
    Group.objects.create(name="Ops")
    client.force_login(owner)

    by_user = client.post(
        "/catalog/products/orders/owners",
        {"holder_type": "user", "holder_name": "consumer", "role": "steward"},
        follow=True,
    )
    by_group = client.post(
        "/catalog/products/orders/owners",
        {"holder_type": "group", "holder_name": "Ops", "role": "technical_contact"},
        follow=True,
    )

    assert messages_of(by_user) == ["Added consumer as steward."]
    assert messages_of(by_group) == ["Added Ops as technical contact."]
    assert orders.ownerships.filter(user=consumer, role="steward").exists()
    assert orders.ownerships.filter(group__name="Ops").exists()


def test_add_unknown_user_or_group_is_rejected(client, owner, orders):
    client.force_login(owner)

    user = client.post(
        "/catalog/products/orders/owners",
        {"holder_type": "user", "holder_name": "nobody", "role": "owner"},
    )
    group = client.post(
        "/catalog/products/orders/owners",
        {"holder_type": "group", "holder_name": "Nobody", "role": "owner"},
    )

    assert user.status_code == 400
    assert field_errors(user, "ownership_form") == {
        "holder_name": ["No user is named 'nobody'."]
    }
    assert field_errors(group, "ownership_form") == {
        "holder_name": ["No group is named 'Nobody'."]
    }
    assert orders.ownerships.count() == 2


def test_consumer_cannot_add_owners(client, consumer, orders):
    client.force_login(consumer)

    response = client.post(
        "/catalog/products/orders/owners",
        {"holder_type": "user", "holder_name": "consumer", "role": "owner"},
    )

    assert response.status_code == 403
    assert not orders.ownerships.filter(user=consumer).exists()


def test_owner_removes_a_steward(client, owner, steward, orders):
    stewardship = orders.ownerships.get(user=steward)
    client.force_login(owner)

    response = client.post(
        f"/catalog/products/orders/owners/{stewardship.pk}/remove", follow=True
    )

    assert messages_of(response) == ["Removed steward as steward."]
    assert not orders.ownerships.filter(user=steward).exists()


def test_last_owner_cannot_be_removed(client, owner, orders):
    ownership = orders.ownerships.get(user=owner)
    client.force_login(owner)

    response = client.post(f"/catalog/products/orders/owners/{ownership.pk}/remove")

    assert response.status_code == 400
    assert messages_of(response) == [
        "A product keeps at least one owner: add another first."
    ]
    assert orders.ownerships.filter(user=owner).exists()


def test_remove_ownership_of_another_product_is_404(client, owner, orders):
    other = make_product("Other", owner=owner)
    ownership = other.ownerships.get()
    client.force_login(owner)

    response = client.post(f"/catalog/products/orders/owners/{ownership.pk}/remove")

    assert response.status_code == 404
    assert other.ownerships.count() == 1


def test_steward_removal_forbidden_for_consumer(client, consumer, steward, orders):
    stewardship = orders.ownerships.get(user=steward)
    client.force_login(consumer)

    response = client.post(f"/catalog/products/orders/owners/{stewardship.pk}/remove")

    assert response.status_code == 403
    assert Ownership.objects.filter(pk=stewardship.pk).exists()


def test_owner_links_a_dataset(client, owner, orders):
    dataset = make_dataset("warehouse", "sales.orders")
    client.force_login(owner)

    response = client.post(
        "/catalog/products/orders/ports",
        {"namespace": "warehouse", "name": "sales.orders", "description": "Daily"},
        follow=True,
    )

    assert messages_of(response) == ["Linked warehouse:sales.orders as an output port."]
    port = orders.output_ports.get()
    assert (port.dataset, port.description) == (dataset, "Daily")
    rows = table(response, "Datasets this product publishes")
    assert rows == [
        ["warehouse:sales.orders", "Daily", "Remove warehouse:sales.orders"]
    ]


def test_linking_an_alias_links_its_dataset(client, owner, orders):
    table_dataset = make_dataset("warehouse", "sales.orders")
    make_dataset("s3://lake", "/sales/orders", canonical=table_dataset)
    client.force_login(owner)

    client.post(
        "/catalog/products/orders/ports",
        {"namespace": "s3://lake", "name": "/sales/orders"},
    )

    assert orders.output_ports.get().dataset == table_dataset


def test_link_unknown_dataset_is_rejected(client, owner, orders):
    client.force_login(owner)

    response = client.post(
        "/catalog/products/orders/ports",
        {"namespace": "warehouse", "name": "missing"},
    )

    assert response.status_code == 400
    assert field_errors(response, "port_form") == {
        "name": [
            "No lineage dataset is named 'missing' in namespace 'warehouse'. "
            "Send its OpenLineage events first."
        ]
    }
    assert OutputPort.objects.count() == 0


def test_link_dataset_of_another_product_is_rejected(client, owner, orders):
    dataset = make_dataset("warehouse", "sales.orders")
    output_port_add(product=make_product("Other", owner=owner), dataset=dataset)
    client.force_login(owner)

    response = client.post(
        "/catalog/products/orders/ports",
        {"namespace": "warehouse", "name": "sales.orders"},
    )

    assert response.status_code == 400
    assert field_errors(response, "port_form") == {
        "__all__": ["This dataset is already published by another data product."]
    }
    assert not orders.output_ports.exists()


def test_consumer_cannot_link_a_dataset(client, consumer, orders):
    make_dataset("warehouse", "sales.orders")
    client.force_login(consumer)

    response = client.post(
        "/catalog/products/orders/ports",
        {"namespace": "warehouse", "name": "sales.orders"},
    )

    assert response.status_code == 403
    assert OutputPort.objects.count() == 0


def test_owner_removes_a_port(client, owner, orders):
    port = output_port_add(
        product=orders, dataset=make_dataset("warehouse", "sales.orders")
    )
    client.force_login(owner)

    response = client.post(
        f"/catalog/products/orders/ports/{port.pk}/remove", follow=True
    )

    assert messages_of(response) == ["Removed the output port warehouse:sales.orders."]
    assert not OutputPort.objects.exists()


def test_consumer_cannot_remove_a_port(client, consumer, orders):
    port = output_port_add(
        product=orders, dataset=make_dataset("warehouse", "sales.orders")
    )
    client.force_login(consumer)

    response = client.post(f"/catalog/products/orders/ports/{port.pk}/remove")

    assert response.status_code == 403
    assert OutputPort.objects.filter(pk=port.pk).exists()


def test_dataset_search_offers_unpublished_datasets(client, owner, orders):
    make_dataset("warehouse", "sales.orders")
    published = make_dataset("warehouse", "sales.orders_by_day")
    output_port_add(product=make_product("Other", owner=owner), dataset=published)
    alias_target = make_dataset("warehouse", "crm.customers")
    make_dataset("s3://lake", "/sales/orders_raw", canonical=alias_target)
    client.force_login(owner)

    response = client.get("/catalog/products/orders/edit", {"dataset_q": "ORDERS"})

    rows = table(response, "Lineage datasets whose name contains “ORDERS” (at most 20)")
    assert rows == [
        ["warehouse", "sales.orders", "Link warehouse:sales.orders"],
        ["warehouse", "sales.orders_by_day", "published by another product"],
    ]


def test_out_of_range_ids_are_rejected(client, owner, orders, finance):
    client.force_login(owner)
    huge = "9" * 30

    data = _product_data(finance)
    data["domain"] = huge
    register = client.post(REGISTER, data)
    remove = client.post(f"/catalog/products/orders/owners/{huge}/remove")

    assert register.status_code == 400
    assert field_errors(register, "form") == {
        "domain": [
            "Select a valid choice. That choice is not one of the available choices."
        ]
    }
    assert remove.status_code == 404
    assert orders.ownerships.count() == 2
