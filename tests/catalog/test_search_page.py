"""The /catalog/search page: results, facets, escaping, bad input, query count."""

import pytest

from catalog import services
from tests.catalog_factories import make_domain, make_product
from tests.factories import make_dataset


@pytest.fixture
def signed_in(client, consumer):
    client.force_login(consumer)
    return client


def test_page_without_query_shows_the_box(signed_in):
    response = signed_in.get("/catalog/search")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="catalog-search-q"' in html
    assert 'data-suggest-url="/api/v1/catalog/search/suggest"' in html
    assert "/static/catalog/search.js" in html
    assert "Results" not in html


def test_page_lists_results_and_facets(signed_in, owner):
    make_product("Orders", owner=owner, domain=make_domain("Sales"), tags=["gold"])

    response = signed_in.get("/catalog/search", {"q": "orders"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Results 1 to 1 of 1" in html
    assert '<a class="search-result-title fw-semibold text-break" ' in html
    assert 'href="/catalog/products/orders/"><mark>Orders</mark></a>' in html
    assert 'href="?q=orders&amp;tag=gold">gold</a>' in html
    assert 'href="?q=orders&amp;domain=sales">Sales</a>' in html


def test_chosen_facet_links_back_without_it(signed_in, owner):
    make_product("Orders", owner=owner, tags=["gold"])

    response = signed_in.get("/catalog/search", {"q": "orders", "tag": "gold"})

    html = response.content.decode()
    assert 'href="?q=orders" class="fw-semibold" aria-current="true">✓ gold</a>' in html


def test_page_escapes_hostile_names(signed_in, owner):
    make_product(
        "<img src=x onerror=alert(1)> orders",
        slug="hostile",
        owner=owner,
        description="<script>alert(2)</script> orders",
    )

    html = signed_in.get("/catalog/search", {"q": "orders"}).content.decode()

    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>orders</mark>" in html


def test_page_bad_facet_is_400(signed_in):
    response = signed_in.get("/catalog/search", {"q": "orders", "kind": "table"})

    assert response.status_code == 400
    assert (
        "Unknown kind &#x27;table&#x27;: expected one of product, dataset, feature."
        in response.content.decode()
    )


def test_page_no_match_says_so(signed_in):
    response = signed_in.get("/catalog/search", {"q": "nothing"})

    assert "Nothing you may see matches “nothing”." in response.content.decode()


def test_page_pages_through_results(signed_in, owner):
    for index in range(3):
        make_product(f"Orders {index}", owner=owner)

    first = signed_in.get("/catalog/search", {"q": "orders", "limit": 2})
    second = signed_in.get("/catalog/search", {"q": "orders", "limit": 2, "offset": 2})

    assert 'href="?q=orders&amp;offset=2">Next</a>' in first.content.decode()
    assert "Results 3 to 3 of 3" in second.content.decode()
    assert 'href="?q=orders&amp;offset=0">Previous</a>' in second.content.decode()


@pytest.mark.parametrize("size", [2, 12])
def test_page_query_count_is_fixed(
    client, consumer, owner, size, django_assert_num_queries
):
    for index in range(size):
        product = make_product(f"Orders {index}", owner=owner, tags=[f"t{index}"])
        services.output_port_add(
            product=product,
            dataset=make_dataset("warehouse", f"orders_{index}", fields=[]),
        )
    client.force_login(consumer)

    # Session, user, model-wide view permission, then the search.
    with django_assert_num_queries(4):
        response = client.get("/catalog/search", {"q": "orders"})

    assert response.status_code == 200
