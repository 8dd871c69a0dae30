"""Catalog search in headless Chromium: a consumer finds an owner's product.

Needs Debian's chromium at /usr/bin/chromium, as tests/test_browser.py.
"""

import pytest
from django.contrib.auth import get_user_model

from catalog import services
from tests.browser import open_page
from tests.catalog_factories import make_product
from tests.factories import make_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    get_user_model().objects.create_user("consumer", password="consumer-password-1")
    page = open_page(browser, live_server)
    console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and console_errors.append(message.text),
    )
    yield page
    page.context.close()
    assert page.dialogs == []
    assert console_errors == []


def _log_in(page) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill("consumer")
    page.get_by_label("Password").fill("consumer-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_consumer_finds_product_by_search(page):
    owner = get_user_model().objects.create_user("owner", password="owner-password-1")
    product = make_product(
        "Invoices",
        owner=owner,
        description="Every invoice we send, with its <b>VAT</b>.",
        tags=["finance"],
    )
    dataset = make_dataset(
        "s3://lake", "/finance/invoices", fields=[{"name": "vat_rate"}]
    )
    services.output_port_add(product=product, dataset=dataset)

    _log_in(page)
    page.goto("/catalog/search")
    box = page.get_by_role("combobox")
    box.press_sequentially("invo", delay=30)
    options = page.get_by_role("option")
    options.first.wait_for()

    assert options.all_text_contents() == [
        "InvoicesPRODUCT",
        "/finance/invoicesDATASET",
    ]
    assert box.get_attribute("aria-expanded") == "true"
    page.screenshot(path="/tmp/catalog-search-suggestions.png")
    box.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"

    box.fill("vat_rate")
    box.press("Enter")
    page.wait_for_url("**/catalog/search?q=vat_rate")
    results = page.locator(".search-result-title")
    assert results.all_text_contents() == ["/finance/invoices", "Invoices"]
    product_link = page.get_by_role("link", name="Invoices", exact=True)
    assert product_link.get_attribute("href") == "/catalog/products/invoices/"
    assert page.locator(".search-snippet b").count() == 0
    page.screenshot(path="/tmp/catalog-search-results.png")

    page.get_by_role("link", name="/finance/invoices").click()
    page.wait_for_url(f"**/datasets/{dataset.pk}/")
    page.go_back()
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.wait_for_url("**/catalog/products/invoices/")
    assert page.locator("h1").text_content() == "Invoices"


def test_hostile_title_in_suggestions_is_text(page):
    owner = get_user_model().objects.create_user("owner", password="owner-password-1")
    make_product("<img src=x onerror=alert(1)> invoices", slug="hostile", owner=owner)

    _log_in(page)
    page.goto("/catalog/search")
    page.get_by_role("combobox").press_sequentially("<img", delay=30)
    option = page.get_by_role("option").first
    option.wait_for()

    assert option.text_content() == "<img src=x onerror=alert(1)> invoicesPRODUCT"
    assert page.locator("img").count() == 0
