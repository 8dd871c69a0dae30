"""The lineage graph in headless Chromium, against a live server."""

import pytest
from django.contrib.auth import get_user_model

from lineage.models import Run
from tests.browser import SCREENSHOT_DIR, open_page
from tests.factories import make_dataset, make_job, make_reads, make_run, make_writes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOSTILE_NAME = '</text><script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def page(browser, live_server):
    get_user_model().objects.create_user("consumer", password="consumer-password-1")
    page = open_page(browser, live_server)
    yield page
    page.context.close()
    assert page.dialogs == [], f"A dialog opened: {page.dialogs}"


def log_in(page, next_path: str) -> None:
    """Log in through the login form, then open `next_path`."""
    page.goto("/login/")
    page.get_by_label("Username").fill("consumer")
    page.get_by_label("Password").fill("consumer-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    page.goto(next_path)


def test_graph_links_upstream_job(page):
    raw = make_dataset("s3://lake", "/raw/orders")
    orders = make_dataset("hive://metastore:9083", "sales.orders")
    ingest = make_job("spark", "ingest_orders")
    make_reads(ingest, raw)
    make_writes(ingest, orders)
    make_run(ingest, state=Run.State.COMPLETE)

    log_in(page, f"/datasets/{orders.pk}/")
    page.get_by_role("link", name="Lineage graph").click()
    job_node = page.locator("svg.graph-svg a.graph-node-job")
    job_node.wait_for()

    assert job_node.locator("text.graph-node-name").text_content() == "ingest_orders"
    assert job_node.locator("text.graph-node-kind").text_content() == "JOB · COMPLETE"
    root = page.locator("svg.graph-svg .graph-node-root")
    assert root.locator("text.graph-node-name").text_content() == "sales.orders"
    assert page.locator(".graph-status").text_content() == "Showing 3 of 3 nodes."
    page.screenshot(path=str(SCREENSHOT_DIR / "lineage-graph.png"))

    job_node.click()
    page.wait_for_url(f"**/jobs/{ingest.pk}/")
    assert page.locator("h1").text_content() == "Jobingest_orders"


def test_graph_node_opens_with_keyboard(page):
    orders = make_dataset("hive://metastore:9083", "sales.orders")
    ingest = make_job("spark", "ingest_orders")
    make_writes(ingest, orders)

    log_in(page, "/lineage/?nodeId=dataset:hive://metastore:9083:sales.orders")
    page.locator("svg.graph-svg a.graph-node-job").wait_for()
    page.locator("svg.graph-svg a.graph-node-job").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(f"**/jobs/{ingest.pk}/")


def test_hostile_name_renders_as_text(page):
    hostile = make_dataset(HOSTILE_NAME, HOSTILE_NAME)
    job = make_job("<b>ns</b>", "<script>alert(2)</script>")
    make_reads(job, hostile)

    log_in(page, f"/datasets/{hostile.pk}/")
    page.get_by_role("link", name="Lineage graph").click()
    dataset_node = page.locator("svg.graph-svg .graph-node-root")
    dataset_node.wait_for()

    name = dataset_node.locator("text.graph-node-name").text_content()
    job_name = page.locator("svg.graph-svg .graph-node-job text.graph-node-name")
    title = dataset_node.locator("title").text_content()
    assert name == "</text><script…x onerror=alert(1)>"
    assert title == f"Dataset {HOSTILE_NAME}:{HOSTILE_NAME} (selected node)"
    assert job_name.text_content() == "<script>alert(2)</script>"
    assert page.locator("svg.graph-svg script").count() == 0
    assert page.locator("img").count() == 0
    assert page.locator("b").count() == 0
    listed = page.locator("[data-graph-list] a").all_text_contents()
    assert f"{HOSTILE_NAME}:{HOSTILE_NAME}" in listed
    assert page.dialogs == []


def test_hub_fanout_collapses_and_expands(page):
    hub = make_job("spark", "explode_events")
    make_reads(hub, make_dataset("warehouse", "events.raw"))
    for index in range(300):
        make_writes(hub, make_dataset("warehouse", f"events.part_{index:03d}"))

    log_in(page, "/lineage/?nodeId=job:spark:explode_events&depth=1")
    more = page.locator("svg.graph-svg .graph-node-more")
    more.wait_for()

    assert more.locator("text").text_content() == "+ 290 more"
    assert page.locator("svg.graph-svg a.graph-node-dataset").count() == 11
    assert page.locator(".graph-status").text_content() == (
        "Showing 12 of 302 nodes. 1 large fan-out is collapsed: "
        "select “+ N more” to expand."
    )
    svg_box = page.locator("svg.graph-svg").bounding_box()
    assert svg_box["height"] <= 900
    assert svg_box["width"] <= 1400
    page.screenshot(path=str(SCREENSHOT_DIR / "lineage-graph-collapsed.png"))

    more.focus()
    page.keyboard.press("Enter")
    page.locator("svg.graph-svg .graph-node-more").wait_for(state="detached")

    assert page.locator("svg.graph-svg a.graph-node-dataset").count() == 301
    focused = page.evaluate("document.activeElement.getAttribute('data-node-id')")
    assert focused == "job:spark:explode_events"
    assert page.locator(".graph-status").text_content() == "Showing 302 of 302 nodes."
    expanded_box = page.locator("svg.graph-svg").bounding_box()
    assert (expanded_box["width"], expanded_box["height"]) == (
        svg_box["width"],
        svg_box["height"],
    )

    last = page.locator("svg.graph-svg a.graph-node-dataset", has_text="part_299")
    last.focus()
    node_box = last.bounding_box()
    canvas_box = page.locator(".graph-canvas").bounding_box()
    assert canvas_box["y"] <= node_box["y"]
    assert node_box["y"] + node_box["height"] <= canvas_box["y"] + canvas_box["height"]
    assert page.evaluate("document.querySelector('.graph-canvas').scrollTop") == 0
    page.screenshot(path=str(SCREENSHOT_DIR / "lineage-graph-expanded.png"))


def test_unknown_node_shows_message(page):
    log_in(page, "/lineage/?nodeId=dataset:nowhere:nothing")

    alert = page.get_by_role("alert")
    assert alert.text_content() == (
        "Node dataset:nowhere:nothing not found: no dataset or job has that "
        "namespace and name."
    )
    assert page.locator("svg").count() == 0


def test_skip_link_is_first_tab_stop(page):
    log_in(page, "/")
    page.keyboard.press("Tab")

    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def translation(transform: str) -> tuple[float, float]:
    """Read x and y of an SVG transform "translate(x,y) scale(s)"."""
    inside = transform.split("translate(")[1].split(")")[0]
    x, y = inside.split(",")
    return float(x), float(y)


def test_graph_pans_and_zooms(page):
    orders = make_dataset("hive://metastore:9083", "sales.orders")
    ingest = make_job("spark", "ingest_orders")
    make_writes(ingest, orders)

    log_in(page, "/lineage/?nodeId=dataset:hive://metastore:9083:sales.orders")
    viewport = page.locator("svg.graph-svg g.graph-viewport")
    viewport.wait_for()
    start = viewport.get_attribute("transform")

    page.get_by_role("button", name="Zoom in").click()
    zoomed = viewport.get_attribute("transform")
    canvas = page.locator(".graph-canvas").bounding_box()
    page.mouse.move(canvas["x"] + 40, canvas["y"] + 40)
    page.mouse.down()
    page.mouse.move(canvas["x"] + 140, canvas["y"] + 90, steps=5)
    page.mouse.up()
    dragged = viewport.get_attribute("transform")
    page.get_by_role("button", name="Fit").click()

    assert start.endswith("scale(1)")
    assert zoomed.endswith("scale(1.25)")
    assert dragged.endswith("scale(1.25)")
    assert translation(dragged) == pytest.approx(
        (translation(zoomed)[0] + 100, translation(zoomed)[1] + 50)
    )
    assert viewport.get_attribute("transform") == start
    assert page.url.endswith("sales.orders")
