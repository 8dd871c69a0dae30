"""The data-trust pages and API, read by each persona."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import DataProduct
from catalog.sla import service_level_set, sla_evaluate
from tests.catalog.sla_events import publish, run_events, send
from tests.catalog_factories import make_domain, make_product

Classification = DataProduct.Classification


@pytest.fixture
def estate(owner):
    """Orders (internal) and Ledger (restricted) in Finance, each with runs.
    Orders meets its SLA; Ledger's is unknown, for it has no freshness target."""
    now = timezone.now()
    send(
        run_events(
            "load_orders",
            started=now - timedelta(hours=2, minutes=10),
            ended=now - timedelta(hours=2),
            outputs=["/orders/daily"],
        ),
        run_events(
            "load_orders",
            started=now - timedelta(hours=1, minutes=10),
            ended=now - timedelta(hours=1),
            state="FAIL",
            outputs=["/orders/daily"],
        ),
        run_events(
            "load_ledger",
            started=now - timedelta(hours=3),
            ended=now - timedelta(hours=2),
            outputs=["/ledger"],
        ),
    )

    orders = make_product("Orders", owner=owner)
    service_level_set(product=orders, freshness=timedelta(hours=6))
    publish(orders, "/orders/daily")
    ledger = make_product(
        "Ledger", owner=owner, classification=Classification.RESTRICTED
    )
    service_level_set(product=ledger, availability_target=99)
    publish(ledger, "/ledger")

    sla_evaluate(now=now)
    return {"orders": orders, "ledger": ledger}


def _product_page(slug):
    return reverse("catalog:product-trust", args=[slug])


def _domain_page(slug="finance"):
    return reverse("catalog:domain-trust", args=[slug])


def _assert_no_inline_code(html: str):
    assert " style=" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []


def test_product_trust_page_for_consumer(client, consumer, estate):
    client.force_login(consumer)

    response = client.get(_product_page("orders"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Data trust: Orders" in html
    assert "last updated 2 hours ago, target 6 hours" in html
    assert "1 of 2 (50.0 %)" in html
    assert '<span class="badge text-bg-success">met</span>' in html
    assert "SLA attainment over the last 30 days" in html
    assert html.count("<svg") == 6
    _assert_no_inline_code(html)


def test_product_trust_page_hides_restricted_product(client, consumer, estate):
    client.force_login(consumer)

    response = client.get(_product_page("ledger"))

    assert response.status_code == 404


def test_product_trust_page_for_auditor(client, auditor, estate):
    client.force_login(auditor)

    response = client.get(_product_page("ledger"))

    assert response.status_code == 200
    assert "Data trust: Ledger" in response.content.decode()


def test_trust_pages_redirect_outsider_to_login(outsider, estate):
    for url in (_product_page("orders"), _domain_page()):
        response = outsider.get(url)

        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={url}"


def test_domain_trust_page_lists_visible_products(client, consumer, estate):
    client.force_login(consumer)

    response = client.get(_domain_page())

    assert response.status_code == 200
    html = response.content.decode()
    assert "Counts the 1 product of this domain that you may see." in html
    assert f'href="{_product_page("orders")}"' in html
    assert "Ledger" not in html
    _assert_no_inline_code(html)


def test_domain_trust_page_unknown_domain(client, consumer, estate):
    client.force_login(consumer)

    assert client.get(_domain_page("nowhere")).status_code == 404


@pytest.mark.parametrize("extra_products", [0, 3])
def test_domain_trust_page_query_count(
    client, auditor, estate, extra_products, django_assert_num_queries
):
    for index in range(extra_products):
        make_product(f"Extra {index}")
    client.force_login(auditor)

    # Session, user, domain, the auditor's model-wide view permission, the
    # visible products' ids and the trust view's eight.
    with django_assert_num_queries(13):
        response = client.get(_domain_page())

    assert response.status_code == 200


def _api(slug, kind="products"):
    return f"/api/v1/catalog/{kind}/{slug}/trust"


def test_product_trust_api_for_consumer(client, consumer, estate):
    client.force_login(consumer)

    response = client.get(_api("orders"))

    assert response.status_code == 200
    body = response.json()
    assert body["product"] == "orders"
    assert body["name"] == "Orders"
    assert body["window_days"] == 30
    assert body["sla_status"] == "met"
    assert body["freshness_target_seconds"] == 6 * 3600
    assert 2 * 3600 <= body["freshness_age_seconds"] < 2 * 3600 + 60
    assert body["is_fresh"] is True
    assert body["runs"] == 2
    assert body["failed_runs"] == 1
    assert body["failed_percent"] == 50.0
    assert body["open_violations"] == 0
    assert len(body["history"]) == 30
    assert set(body["history"][-1]) == {
        "day",
        "attainment",
        "fresh_products",
        "known_products",
        "freshness_age_seconds",
        "schema_changes",
        "runs",
        "failed_runs",
        "failed_percent",
        "open_violations",
    }


def test_product_trust_api_hides_restricted_product(client, consumer, estate):
    client.force_login(consumer)

    response = client.get(_api("ledger"))

    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "Data product not found.",
            "field": None,
        }
    }


def test_product_trust_api_for_auditor(client, auditor, estate):
    client.force_login(auditor)

    response = client.get(_api("ledger"))

    assert response.status_code == 200
    assert response.json()["sla_status"] == "unknown"


def test_trust_api_rejects_outsider(outsider, estate):
    for url in (_api("orders"), _api("finance", "domains")):
        response = outsider.get(url)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"


def test_trust_api_with_read_key(client, reader_key, estate):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {reader_key}"}

    visible = client.get(_api("orders"), **headers)
    hidden = client.get(_api("ledger"), **headers)

    assert visible.status_code == 200
    assert hidden.status_code == 404


def test_trust_api_window_days(client, consumer, estate):
    client.force_login(consumer)

    response = client.get(_api("orders"), {"days": "7"})

    assert response.status_code == 200
    assert len(response.json()["history"]) == 7


@pytest.mark.parametrize("days", ["0", "366", "week"])
def test_trust_api_rejects_bad_window(client, consumer, estate, days):
    client.force_login(consumer)

    response = client.get(_api("orders"), {"days": days})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "days"


def test_domain_trust_api_counts_visible_products(client, consumer, owner, estate):
    client.force_login(consumer)
    consumer_body = client.get(_api("finance", "domains")).json()
    client.force_login(owner)
    owner_body = client.get(_api("finance", "domains")).json()

    assert [item["product"] for item in consumer_body["products"]] == ["orders"]
    assert consumer_body["runs"] == 2
    assert consumer_body["status_counts"] == {
        "met": 1,
        "at_risk": 0,
        "breached": 0,
        "unknown": 0,
    }
    assert [item["product"] for item in owner_body["products"]] == [
        "ledger",
        "orders",
    ]
    assert owner_body["runs"] == 3
    assert owner_body["status_counts"]["unknown"] == 1


def test_domain_trust_api_unknown_domain(client, consumer):
    make_domain("Finance")
    client.force_login(consumer)

    response = client.get(_api("nowhere", "domains"))

    assert response.status_code == 404
    assert response.json()["error"]["message"] == "Domain not found."


@pytest.mark.parametrize("extra_products", [0, 3])
def test_domain_trust_api_query_count(
    client, auditor, estate, extra_products, django_assert_num_queries
):
    for index in range(extra_products):
        make_product(f"Extra {index}")
    client.force_login(auditor)

    with django_assert_num_queries(13):
        response = client.get(_api("finance", "domains"))

    assert response.status_code == 200
    assert len(response.json()["products"]) == 2 + extra_products
