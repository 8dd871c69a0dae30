"""The product trust page in headless Chromium: charts drawn, CSP respected."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.sla import service_level_set, sla_evaluate
from tests.browser import SCREENSHOT_DIR
from tests.catalog.sla_events import dataset, publish, run_events, send
from tests.catalog_factories import make_product
from tests.test_browser import log_in, page  # noqa: F401 - the consumer's page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trust_page_draws_charts(page):  # noqa: F811
    console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and console_errors.append(message.text),
    )
    now = timezone.now()
    for days_ago, state in ((3, "COMPLETE"), (2, "FAIL"), (1, "COMPLETE")):
        ended = now - timedelta(days=days_ago)
        columns = ["id", "amount"][: 3 - days_ago]
        send(
            run_events(
                "load_orders",
                started=ended - timedelta(minutes=10),
                ended=ended,
                state=state,
                outputs=[dataset("/orders/daily", columns=columns)],
            )
        )
    product = make_product("Orders")
    service_level_set(
        product=product, freshness=timedelta(hours=30), availability_target=95
    )
    publish(product, "/orders/daily")
    sla_evaluate(now=now)

    log_in(page, "/catalog/products/orders/trust")
    page.locator("h1").wait_for()

    assert page.locator("h1").text_content() == "Data trust: Orders"
    charts = page.locator("figure svg")
    assert charts.count() == 6
    assert charts.first.locator("rect").count() == 30
    assert charts.first.bounding_box()["width"] > 200
    page.screenshot(path=str(SCREENSHOT_DIR / "product-trust.png"), full_page=True)
    assert console_errors == []
