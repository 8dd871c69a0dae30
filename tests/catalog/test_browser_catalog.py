"""An owner registers and publishes a product in headless Chromium; a consumer
then finds it."""

import pytest

from catalog.models import DataProduct
from tests.browser import SCREENSHOT_DIR, open_page
from tests.catalog_factories import make_domain
from tests.factories import make_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/?next=/catalog/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/catalog/")


def register_and_publish(page) -> None:
    """The owner registers Orders, links sales.orders and publishes it."""
    page.get_by_role("link", name="Register a product").click()
    page.get_by_label("Name", exact=True).fill("Orders")
    page.get_by_label("Domain").select_option(label="Sales")
    page.get_by_label("Description").fill("One row per **order**.")
    page.get_by_label("Tags").fill("sales, daily")
    page.get_by_role("button", name="Register product").click()
    page.wait_for_url("**/catalog/products/orders/edit")
    assert page.get_by_role("status").first.text_content() == (
        "Registered Orders. Link the datasets it publishes below."
    )

    page.get_by_label("Dataset name contains").fill("orders")
    page.get_by_role("button", name="Find datasets").click()
    page.screenshot(path=str(SCREENSHOT_DIR / "catalog-edit.png"), full_page=True)
    page.get_by_role("button", name="Link warehouse:sales.orders").click()
    page.wait_for_url("**/catalog/products/orders/edit")
    assert page.get_by_role("status").first.text_content() == (
        "Linked warehouse:sales.orders as an output port."
    )

    page.get_by_label("Lifecycle").select_option("published")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/catalog/products/orders/")


def test_owner_publishes_and_consumer_finds_product(
    browser, live_server, owner, consumer
):
    make_domain("Sales")
    make_dataset("warehouse", "sales.orders")
    make_dataset("warehouse", "sales.customers")

    owner_page = open_page(browser, live_server)
    log_in(owner_page, "owner", "owner-password-1")
    register_and_publish(owner_page)

    ports = owner_page.get_by_role("table", name="Datasets this product publishes")
    assert ports.get_by_role("link").text_content() == "warehouse:sales.orders"
    owner_page.screenshot(path=str(SCREENSHOT_DIR / "catalog-product.png"))
    assert DataProduct.objects.get(slug="orders").lifecycle == "published"
    assert owner_page.dialogs == []
    owner_page.context.close()

    consumer_page = open_page(browser, live_server)
    log_in(consumer_page, "consumer", "consumer-password-1")
    search_box = consumer_page.get_by_label("Search data products")
    search_box.press_sequentially("Ord", delay=30)
    suggestion = consumer_page.get_by_role("option", name="Orders")
    suggestion.first.wait_for()
    search_box.fill("sales.orders")
    search_box.press("Enter")
    consumer_page.wait_for_url("**/catalog/search?q=sales.orders*")
    consumer_page.get_by_role("link", name="Orders", exact=True).click()
    consumer_page.wait_for_url("**/catalog/products/orders/")

    assert consumer_page.locator("h1").text_content() == "Orders"
    assert consumer_page.get_by_role("button", name="Request access").is_visible()
    assert consumer_page.get_by_role("link", name="Edit product").count() == 0
    assert consumer_page.dialogs == []
    consumer_page.context.close()


def test_draft_stays_hidden_from_consumer(browser, live_server, owner, consumer):
    make_domain("Sales")
    owner_page = open_page(browser, live_server)
    log_in(owner_page, "owner", "owner-password-1")
    owner_page.get_by_role("link", name="Register a product").click()
    owner_page.get_by_label("Name", exact=True).fill("Sketch")
    owner_page.get_by_label("Domain").select_option(label="Sales")
    owner_page.get_by_role("button", name="Register product").click()
    owner_page.wait_for_url("**/catalog/products/sketch/edit")
    owner_page.context.close()

    consumer_page = open_page(browser, live_server)
    log_in(consumer_page, "consumer", "consumer-password-1")
    recent = consumer_page.get_by_role("table", name="Recently updated data products")

    assert recent.get_by_role("link", name="Sketch").count() == 0
    response = consumer_page.goto("/catalog/products/sketch/")
    assert response.status == 404
    consumer_page.context.close()
