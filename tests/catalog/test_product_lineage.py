"""Products upstream and downstream of each other, through lineage datasets."""

from catalog.models import DataProduct
from catalog.product_lineage import (
    downstream_products,
    nearest_product_ids,
)
from catalog.services import output_port_add
from tests.catalog_factories import make_product
from tests.factories import make_dataset, make_job, make_reads, make_writes


def _names(products):
    return sorted(products.values_list("name", flat=True))


def _named(ids: list[int]) -> list[str]:
    return _names(DataProduct.objects.filter(pk__in=ids))


def _inputs(product) -> list[str]:
    return _named(nearest_product_ids(product)[0])


def _consumers(product) -> list[str]:
    return _named(nearest_product_ids(product)[1])


def test_inputs_and_consumers_stop_at_the_nearest_product(owner):
    # raw -> clean (Orders) -> staging (no product) -> revenue (Finance) -> report
    # (Reports); a cycle back from staging to clean must not loop.
    raw, clean, staging, revenue, report = (
        make_dataset("lake", name)
        for name in ("raw", "clean", "staging", "revenue", "report")
    )
    for job_name, reads, writes in [
        ("ingest", raw, clean),
        ("stage", clean, staging),
        ("backfill", staging, clean),
        ("aggregate", staging, revenue),
        ("publish", revenue, report),
    ]:
        job = make_job("airflow", job_name)
        make_reads(job, reads)
        make_writes(job, writes)
    orders = make_product("Orders", owner=owner)
    finance = make_product("Finance", owner=owner)
    reports = make_product("Reports", owner=owner)
    output_port_add(product=orders, dataset=clean)
    output_port_add(product=finance, dataset=revenue)
    output_port_add(product=reports, dataset=report)

    assert _consumers(orders) == ["Finance"]
    assert _names(downstream_products(orders)) == ["Finance", "Reports"]
    assert _inputs(finance) == ["Orders"]
    assert _inputs(reports) == ["Finance"]
    assert _inputs(orders) == []


def test_port_on_an_alias_names_the_canonical_dataset(owner):
    table = make_dataset("hive://metastore", "analytics.orders")
    path = make_dataset("s3://lake", "orders/", canonical=table)
    product = make_product("Orders", owner=owner)

    port = output_port_add(product=product, dataset=path)

    assert port.dataset == table
