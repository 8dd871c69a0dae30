"""The catalog home and the domain pages, for each persona."""

import pytest
from django.urls import reverse

from catalog.models import DataProduct
from tests.catalog.pages import section, tables
from tests.catalog_factories import make_domain, make_product

Lifecycle = DataProduct.Lifecycle
Classification = DataProduct.Classification


@pytest.fixture
def estate(owner, steward):
    finance = make_domain("Finance")
    make_domain("Marketing")
    orders = make_product("Orders", owner=owner, domain=finance, stewards=[steward])
    make_product("Sketch", owner=owner, domain=finance, lifecycle=Lifecycle.DRAFT)
    make_product(
        "Locked", owner=owner, domain=finance, classification=Classification.RESTRICTED
    )
    return {"finance": finance, "orders": orders}


def _domain_rows(response) -> list[str]:
    return [
        " ".join(item.split())
        for item in section(response, "domains-heading").split("<li")[1:]
    ]


@pytest.mark.parametrize(
    "url_name, kwargs",
    [
        ("catalog:home", {}),
        ("catalog:dashboard", {}),
        ("catalog:product-create", {}),
        ("catalog:domain-detail", {"slug": "finance"}),
        ("catalog:product-detail", {"slug": "orders"}),
        ("catalog:product-edit", {"slug": "orders"}),
    ],
)
def test_outsider_redirected_to_login(outsider, estate, url_name, kwargs):
    url = reverse(url_name, kwargs=kwargs)

    response = outsider.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


def test_home_counts_only_visible_products(client, consumer, estate):
    client.force_login(consumer)

    response = client.get("/catalog/")

    assert response.status_code == 200
    domains = [(d.name, d.product_count) for d in response.context["domains"]]
    assert domains == [("Finance", 1), ("Marketing", 0)]
    recent = tables(response)[0]
    assert recent[1:] == [
        ["Orders", "Finance", "Published", "Internal", "not evaluated"]
    ]
    mine = tables(response)[1]
    assert mine[1:] == [["You own or steward no data products."]]


def test_home_for_owner_lists_my_products(client, owner, estate):
    client.force_login(owner)

    response = client.get("/catalog/")

    domains = [(d.name, d.product_count) for d in response.context["domains"]]
    assert domains == [("Finance", 3), ("Marketing", 0)]
    mine = [row[0] for row in tables(response)[1][1:]]
    assert mine == ["Locked", "Orders", "Sketch"]
    assert b'href="/catalog/products/new"' in response.content


def test_home_for_steward_lists_stewarded_product(client, steward, estate):
    client.force_login(steward)

    response = client.get("/catalog/")

    mine = [row[0] for row in tables(response)[1][1:]]
    assert mine == ["Orders"]
    assert b'href="/catalog/products/new"' not in response.content


def test_home_for_auditor_sees_all_manages_none(client, auditor, estate):
    client.force_login(auditor)

    response = client.get("/catalog/")

    recent = [row[0] for row in tables(response)[0][1:]]
    assert sorted(recent) == ["Locked", "Orders", "Sketch"]
    assert tables(response)[1][1:] == [["You own or steward no data products."]]
    assert b'href="/catalog/products/new"' not in response.content


def test_home_search_box_goes_to_search_page(client, consumer, db):
    client.force_login(consumer)

    response = client.get("/catalog/")

    content = response.content.decode()
    assert 'action="/catalog/search" method="get"' in content
    assert (
        '<label class="form-label" for="catalog-search-q">Search data products</label>'
        in (content)
    )
    assert 'id="catalog-search-q" name="q"' in content
    assert 'role="combobox"' in content


def test_recently_updated_is_newest_first(client, consumer, estate, owner):
    make_product("Customers", owner=owner)
    estate["orders"].save()

    client.force_login(consumer)
    response = client.get("/catalog/")

    recent = [row[0] for row in tables(response)[0][1:]]
    assert recent == ["Orders", "Customers"]


def _many_products(owner, count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        domain = make_domain(f"Domain {index % 5}")
        make_product(f"Product {index:02d}", owner=owner, domain=domain)


def test_home_query_count_is_flat(client, owner, db, django_assert_num_queries):
    client.force_login(owner)
    _many_products(owner, 1)
    with django_assert_num_queries(6):
        client.get("/catalog/")

    _many_products(owner, 25, start=1)
    with django_assert_num_queries(6):
        response = client.get("/catalog/")

    assert len(response.context["my_products"]) == 26


def test_domain_page_lists_visible_products(client, consumer, estate):
    client.force_login(consumer)

    response = client.get("/catalog/domains/finance/")

    assert response.status_code == 200
    assert [row[0] for row in tables(response)[0][1:]] == ["Orders"]


def test_domain_page_for_owner_lists_drafts(client, owner, estate):
    client.force_login(owner)

    response = client.get("/catalog/domains/finance/")

    assert [row[0] for row in tables(response)[0][1:]] == ["Locked", "Orders", "Sketch"]
    assert b'href="/catalog/products/new?domain=' in response.content


def test_empty_domain_says_so(client, consumer, estate):
    client.force_login(consumer)

    response = client.get("/catalog/domains/marketing/")

    assert tables(response)[0][1:] == [
        ["This domain has no data products that you can see."]
    ]


def test_unknown_domain_is_404(client, consumer, db):
    client.force_login(consumer)

    assert client.get("/catalog/domains/nowhere/").status_code == 404


def test_domain_query_count_is_flat(client, owner, db, django_assert_num_queries):
    client.force_login(owner)
    domain = make_domain("Finance")
    make_product("First", owner=owner, domain=domain)
    with django_assert_num_queries(5):
        client.get("/catalog/domains/finance/")

    for index in range(20):
        make_product(f"More {index}", owner=owner, domain=domain)
    with django_assert_num_queries(5):
        response = client.get("/catalog/domains/finance/")

    assert len(tables(response)[0]) == 22


def test_hostile_product_name_is_escaped(client, consumer, owner, db):
    make_product('<script>alert("x")</script>', owner=owner, slug="hostile")
    client.force_login(consumer)

    response = client.get("/catalog/")

    content = response.content.decode()
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content
