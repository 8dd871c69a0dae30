"""GET /api/v1/catalog/search and /search/suggest: ranking, facets, escaping,
bad input, permissions and pinned query counts."""

import pytest
from django.contrib.auth.models import Group

from catalog import services
from catalog.models import DataProduct, Feature
from core.services import api_key_create
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset

SEARCH = "/api/v1/catalog/search"
SUGGEST = "/api/v1/catalog/search/suggest"


def search(client, **params):
    return client.get(SEARCH, params)


def titles(response) -> list[str]:
    return [hit["title"] for hit in response.json()["results"]]


@pytest.fixture
def signed_in(client, consumer):
    client.force_login(consumer)
    return client


def test_name_match_ranks_before_description_match(signed_in, owner):
    make_product("Customer churn", owner=owner, description="Who leaves.")
    make_product("Revenue", owner=owner, description="Revenue by customer churn.")

    response = search(signed_in, q="churn")

    assert response.status_code == 200
    assert titles(response) == ["Customer churn", "Revenue"]


def test_exact_name_ranks_first(signed_in, owner):
    make_product("Orders daily", owner=owner, description="orders orders orders")
    make_product("Orders", owner=owner)

    assert titles(search(signed_in, q="orders"))[0] == "Orders"


def test_field_name_finds_dataset_and_product(signed_in, owner):
    dataset = make_dataset(
        "postgres://db:5432",
        "shop.orders",
        fields=[
            {"name": "order_id", "type": "bigint"},
            {
                "name": "address",
                "type": "struct",
                "fields": [{"name": "city", "type": "text"}],
            },
        ],
    )
    product = make_product("Sales", owner=owner)
    services.output_port_add(product=product, dataset=dataset)

    for query in ("order_id", "order", "address.city", "city"):
        response = search(signed_in, q=query)
        assert sorted(titles(response)) == ["Sales", "shop.orders"], query
    dataset_hit = search(signed_in, q="shop.orders").json()["results"][0]
    assert dataset_hit["kind"] == "dataset"
    assert dataset_hit["url"] == f"/datasets/{dataset.pk}/"
    assert dataset_hit["product"] == {"slug": "sales", "name": "Sales"}
    assert dataset_hit["subtitle"] == "postgres://db:5432"


def test_last_word_matches_as_prefix(signed_in, owner):
    make_product("Customer lifetime value", owner=owner)

    assert titles(search(signed_in, q="custom")) == ["Customer lifetime value"]
    assert titles(search(signed_in, q="lifetime cust")) == ["Customer lifetime value"]
    assert titles(search(signed_in, q="custom ")) == []


def test_owner_and_tag_are_searchable(signed_in, owner):
    make_product("Ledger", owner=owner, tags=["finance-core"])

    assert titles(search(signed_in, q="owner")) == ["Ledger"]
    assert titles(search(signed_in, q="finance-core")) == ["Ledger"]


def test_feature_is_found_with_its_product(signed_in, owner):
    product = make_product("Churn model", owner=owner)
    Feature.objects.create(
        product=product,
        name="days_since_login",
        entity="customer",
        join_keys=["customer_id"],
        value_type=Feature.ValueType.INT64,
        description="Days since the last login.",
    )

    response = search(signed_in, q="days_since_login")

    hit = response.json()["results"][0]
    assert hit["kind"] == "feature"
    assert hit["title"] == "days_since_login"
    assert hit["url"] == "/catalog/products/churn-model/#features"
    assert hit["product"] == {"slug": "churn-model", "name": "Churn model"}


def test_facet_counts_cover_every_visible_match(signed_in, owner):
    finance = make_domain("Finance")
    sales = make_domain("Sales")
    make_product("Orders A", owner=owner, domain=finance, tags=["gold"])
    make_product("Orders B", owner=owner, domain=finance, tags=["gold", "pii"])
    make_product(
        "Orders C",
        owner=owner,
        domain=sales,
        classification=DataProduct.Classification.PUBLIC,
    )
    make_product(
        "Orders D",
        owner=owner,
        domain=sales,
        lifecycle=DataProduct.Lifecycle.DRAFT,
    )

    body = search(signed_in, q="orders", limit=1).json()

    assert body["count"] == 3
    assert len(body["results"]) == 1
    facets = body["facets"]
    assert facets["kind"] == [{"value": "product", "label": "product", "count": 3}]
    assert facets["domain"] == [
        {"value": "finance", "label": "Finance", "count": 2},
        {"value": "sales", "label": "Sales", "count": 1},
    ]
    assert facets["tag"] == [
        {"value": "gold", "label": "gold", "count": 2},
        {"value": "pii", "label": "pii", "count": 1},
    ]
    assert facets["classification"] == [
        {"value": "internal", "label": "internal", "count": 2},
        {"value": "public", "label": "public", "count": 1},
    ]
    assert facets["lifecycle"] == [
        {"value": "published", "label": "published", "count": 3}
    ]
    assert facets["owner"] == [{"value": "owner", "label": "owner", "count": 3}]


def test_facet_filters_narrow_results(signed_in, owner):
    finance = make_domain("Finance")
    sales = make_domain("Sales")
    make_product("Orders A", owner=owner, domain=finance, tags=["gold"])
    make_product("Orders B", owner=owner, domain=sales, tags=["pii"])
    make_product(
        "Orders C",
        owner=owner,
        domain=sales,
        classification=DataProduct.Classification.PUBLIC,
    )

    assert titles(search(signed_in, q="orders", domain="sales")) == [
        "Orders B",
        "Orders C",
    ]
    assert titles(search(signed_in, q="orders", tag=["gold", "pii"])) == [
        "Orders A",
        "Orders B",
    ]
    assert titles(search(signed_in, q="orders", classification="public")) == [
        "Orders C"
    ]
    assert titles(search(signed_in, q="orders", kind="dataset")) == []
    assert titles(search(signed_in, q="orders", owner="owner", domain="finance")) == [
        "Orders A"
    ]


def test_highlights_are_escaped(signed_in, owner):
    make_product(
        "<script>alert(1)</script> orders",
        slug="hostile",
        owner=owner,
        description='Orders <img src=x onerror="alert(2)"> & more',
    )

    hit = search(signed_in, q="orders").json()["results"][0]

    assert hit["title"] == "<script>alert(1)</script> orders"
    assert hit["title_html"] == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>orders</mark>"
    )
    assert hit["snippet_html"] == (
        "<mark>Orders</mark> &lt;img src=x onerror=&quot;alert(2)&quot;&gt; &amp; more"
    )


def test_query_syntax_never_errors(signed_in, owner):
    make_product("Orders", owner=owner)

    for query in ('"unterminated', "-", "or", "a & b | !c", "(((", "::*", "'", "\\"):
        response = search(signed_in, q=query)
        assert response.status_code == 200, query
    assert titles(search(signed_in, q='"orders')) == ["Orders"]
    assert titles(search(signed_in, q="orders -orders")) == []


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "q", "Missing q: enter the words to search for."),
        ({"q": "   "}, "q", "Missing q: enter the words to search for."),
        (
            {"q": "x" * 201},
            "q",
            "Invalid q: it has 201 characters, the maximum is 200.",
        ),
        (
            {"q": "x", "kind": "table"},
            "kind",
            "Unknown kind 'table': expected one of product, dataset, feature.",
        ),
        (
            {"q": "x", "lifecycle": "gone"},
            "lifecycle",
            "Unknown lifecycle 'gone': expected one of draft, published, "
            "deprecated, retired.",
        ),
        ({"q": "x", "domain": "nowhere"}, "domain", "Unknown domain 'nowhere'."),
        ({"q": "x", "tag": "nothing"}, "tag", "Unknown tag 'nothing'."),
        ({"q": "x", "owner": "nobody"}, "owner", "Unknown owner 'nobody'."),
        (
            {"q": "x", "limit": "500"},
            "limit",
            "Invalid limit '500': expected a whole number from 1 to 50.",
        ),
        (
            {"q": "x", "offset": "-1"},
            "offset",
            "Invalid offset '-1': expected a whole number from 0 to 1000.",
        ),
    ],
)
def test_bad_input_names_the_parameter(signed_in, params, field, message):
    response = search(signed_in, **params)

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": message, "field": field}
    }


def test_outsider_gets_401(outsider):
    assert search(outsider, q="orders").status_code == 401
    assert outsider.get(SUGGEST, {"q": "ord"}).status_code == 401


def test_api_key_with_read_scope_searches(client, owner):
    make_product("Orders", owner=owner)
    make_product("Sketch orders", owner=owner, lifecycle=DataProduct.Lifecycle.DRAFT)
    _, read_key = api_key_create(name="reader", scopes=["read"])
    _, write_key = api_key_create(name="pipeline", scopes=["lineage:write"])

    response = client.get(
        SEARCH, {"q": "orders"}, HTTP_AUTHORIZATION=f"Bearer {read_key}"
    )
    rejected = client.get(
        SEARCH, {"q": "orders"}, HTTP_AUTHORIZATION=f"Bearer {write_key}"
    )

    assert response.status_code == 200
    assert titles(response) == ["Orders"]
    assert rejected.status_code == 403


def test_suggestions_start_with_prefix_first(signed_in, owner):
    make_product("Shop orders", owner=owner)
    make_product("Orders", owner=owner)
    make_product("Order lines", owner=owner)
    make_product("Sketch order", owner=owner, lifecycle=DataProduct.Lifecycle.DRAFT)

    response = signed_in.get(SUGGEST, {"q": "ORDER"})

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"kind": "product", "title": "Orders", "url": "/catalog/products/orders/"},
        {
            "kind": "product",
            "title": "Order lines",
            "url": "/catalog/products/order-lines/",
        },
        {
            "kind": "product",
            "title": "Shop orders",
            "url": "/catalog/products/shop-orders/",
        },
    ]


def test_suggestions_are_at_most_ten(signed_in, owner):
    for index in range(15):
        make_product(f"Metric {index:02d}", owner=owner)

    results = signed_in.get(SUGGEST, {"q": "met"}).json()["results"]

    assert [item["title"] for item in results] == [
        f"Metric {index:02d}" for index in range(10)
    ]


def test_suggest_rejects_long_prefix(signed_in):
    response = signed_in.get(SUGGEST, {"q": "x" * 201})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "q"


def test_suggest_percent_is_literal(signed_in, owner):
    make_product("Orders", owner=owner)

    assert signed_in.get(SUGGEST, {"q": "%"}).json()["results"] == []


def _estate(owner, size: int) -> None:
    group = Group.objects.create(name=f"Readers {size}")
    for index in range(size):
        product = make_product(f"Orders {index}", owner=owner, tags=[f"t{index}"])
        services.ownership_add(product=product, role="steward", group=group)
        services.output_port_add(
            product=product,
            dataset=make_dataset("warehouse", f"orders_{index}", fields=[]),
        )


@pytest.mark.parametrize("size", [2, 12])
def test_search_query_count_is_fixed(
    client, consumer, owner, size, django_assert_num_queries
):
    _estate(owner, size)
    client.force_login(consumer)

    # Session, user, model-wide view permission, the check that the
    # domain and tag exist, then the search.
    with django_assert_num_queries(5):
        response = search(client, q="orders", tag="t1", domain="finance")

    assert response.status_code == 200
    assert response.json()["count"] == 2


@pytest.mark.parametrize("size", [2, 12])
def test_suggest_query_count_is_fixed(
    client, consumer, owner, size, django_assert_num_queries
):
    _estate(owner, size)
    client.force_login(consumer)

    with django_assert_num_queries(4):
        response = client.get(SUGGEST, {"q": "orders"})

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(2 * size, 10)


def test_broad_query_reports_lower_bound(signed_in, owner, monkeypatch):
    from catalog.search import selectors

    monkeypatch.setattr(selectors, "MAX_MATCHES", 3)
    for index in range(5):
        make_product(f"Orders {index}", owner=owner)
    make_product("Orders", owner=owner)

    body = search(signed_in, q="orders").json()

    # Three matches, plus the exact name match when it was not among them.
    assert body["count"] in (3, 4)
    assert body["count_is_lower_bound"] is True
    assert body["results"][0]["title"] == "Orders"
    assert sum(item["count"] for item in body["facets"]["kind"]) == body["count"]


def test_narrow_query_count_is_exact(signed_in, owner):
    make_product("Orders", owner=owner)

    body = search(signed_in, q="orders").json()

    assert body["count"] == 1
    assert body["count_is_lower_bound"] is False
