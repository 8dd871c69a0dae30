"""The data-trust selectors, computed from OpenLineage events the tests send."""

from datetime import UTC, datetime, timedelta

import pytest

from catalog.models import ContractViolation, DataContract, DataProduct, SlaStatus
from catalog.selectors import products_visible_to
from catalog.sla import service_level_set, sla_evaluate
from catalog.trust import domain_trust, product_trust, sla_attainment_chart
from lineage.models import SchemaVersion
from tests.catalog.sla_events import dataset, publish, run_events, send
from tests.catalog_factories import make_domain, make_product

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MARCH_8 = datetime(2026, 3, 8, tzinfo=UTC)
MARCH_9 = MARCH_8 + timedelta(days=1)
MARCH_10 = MARCH_8 + timedelta(days=2)
ORDERS = "/orders/daily"


def _run(job, ended, *, state="COMPLETE", outputs=(ORDERS,)):
    return run_events(
        job,
        started=ended - timedelta(minutes=10),
        ended=ended,
        state=state,
        outputs=list(outputs),
    )


def _violation(port, detected_at, resolved_at=None, field_path="amount"):
    contract, _ = DataContract.objects.get_or_create(
        port=port,
        version="1.0.0",
        defaults={"version_major": 1, "version_minor": 0, "version_patch": 0},
    )
    ContractViolation.objects.create(
        contract=contract,
        schema_version=SchemaVersion.objects.filter(dataset=port.dataset).first(),
        kind=ContractViolation.Kind.FIELD_REMOVED,
        field_path=field_path,
        detected_at=detected_at,
        resolved_at=resolved_at,
    )


def _orders_history(owner, **fields):
    """Orders over 8 to 10 March: five runs, two schema changes, SLA periods
    from six evaluations, and four contract violations of which one was
    resolved before March."""
    send(
        _run(
            "load_orders",
            MARCH_8 + timedelta(hours=8),
            outputs=[dataset(ORDERS, columns=["id"])],
        ),
        _run("load_orders", MARCH_9 + timedelta(hours=9), state="FAIL"),
        _run(
            "load_orders",
            MARCH_9 + timedelta(hours=10),
            outputs=[dataset(ORDERS, columns=["id", "amount"])],
        ),
        _run("load_orders", MARCH_10 + timedelta(hours=9), state="ABORT"),
        # A copy under another name that is an alias of the port's dataset.
        _run(
            "copy_orders",
            MARCH_10 + timedelta(hours=11),
            outputs=[
                dataset(
                    "/warehouse/orders",
                    columns=["id", "amount", "currency"],
                    alias=ORDERS,
                )
            ],
        ),
    )

    product = make_product("Orders", owner=owner, **fields)
    service_level_set(
        product=product,
        freshness=timedelta(hours=6),
        availability_target=95,
    )
    port = publish(product, ORDERS)

    for at in (
        MARCH_8 + timedelta(hours=8, minutes=30),  # met
        MARCH_8 + timedelta(hours=14, minutes=30),  # breached
        MARCH_9 + timedelta(hours=10, minutes=30),  # met
        MARCH_9 + timedelta(hours=15),  # at risk
        MARCH_9 + timedelta(hours=16, minutes=30),  # breached
        MARCH_10 + timedelta(hours=11, minutes=30),  # met
    ):
        sla_evaluate(product_ids=[product.pk], now=at)

    _violation(port, MARCH_8 - timedelta(days=7), MARCH_8 - timedelta(days=6), "a")
    _violation(port, MARCH_8 - timedelta(days=1), None, "b")
    _violation(port, MARCH_9 + timedelta(hours=10), MARCH_10 + timedelta(hours=11))
    _violation(port, MARCH_10 + timedelta(hours=10), None, "c")
    return product


def test_product_trust_summary(owner):
    product = _orders_history(owner)

    trust = product_trust(product, days=3, now=NOW)

    assert trust.sla_status == SlaStatus.MET
    assert trust.sla_since == MARCH_10 + timedelta(hours=11, minutes=30)
    assert trust.freshness_target == timedelta(hours=6)
    assert trust.freshness_age == timedelta(hours=1)
    assert trust.is_fresh is True
    # 12.5 of 51.5 known hours within the SLA.
    assert trust.attainment_percent == 24.27
    assert trust.schema_changes == 2
    assert trust.schema_changes_per_week == 4.67
    assert trust.runs == 5
    assert trust.failed_runs == 2
    assert trust.failed_percent == 40.0
    assert trust.open_violations == 2


def test_product_trust_history_per_day(owner):
    product = _orders_history(owner)

    history = product_trust(product, days=3, now=NOW).history

    assert [day.day.isoformat() for day in history] == [
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    assert [day.attainment for day in history] == [38.71, 25.0, 4.17]
    assert [day.freshness_hours for day in history] == [16.0, 14.0, 1.0]
    assert [day.fresh_products for day in history] == [0, 0, 1]
    assert [day.known_products for day in history] == [1, 1, 1]
    assert [day.schema_changes for day in history] == [0, 1, 1]
    assert [day.runs for day in history] == [1, 2, 2]
    assert [day.failed_runs for day in history] == [0, 1, 1]
    assert [day.open_violations for day in history] == [1, 2, 2]


def test_product_trust_without_sla_or_runs(owner):
    product = make_product("Sketchbook", owner=owner)

    trust = product_trust(product, days=2, now=NOW)

    assert trust.sla_status is None
    assert trust.freshness_age is None
    assert trust.is_fresh is None
    assert trust.attainment_percent is None
    assert trust.failed_percent is None
    assert trust.open_violations == 0
    assert [day.known_products for day in trust.history] == [0, 0]


def test_product_trust_query_count(owner, django_assert_num_queries):
    product = _orders_history(owner)

    with django_assert_num_queries(8):
        product_trust(product, now=NOW)


def _finance_and_sales(owner):
    orders = _orders_history(owner)
    send(_run("load_ledger", MARCH_10, state="FAIL", outputs=["/ledger"]))
    ledger = make_product(
        "Ledger", owner=owner, classification=DataProduct.Classification.RESTRICTED
    )
    publish(ledger, "/ledger")
    send(_run("load_refunds", MARCH_10, outputs=["/refunds"]))
    refunds = make_product("Refunds", owner=owner, domain=make_domain("Sales"))
    publish(refunds, "/refunds")
    return orders, ledger, refunds


def test_domain_trust_sums_visible_products(owner, consumer):
    _finance_and_sales(owner)
    finance = make_domain("Finance")

    for_consumer = domain_trust(finance, products_visible_to(consumer), days=3, now=NOW)
    for_owner = domain_trust(finance, products_visible_to(owner), days=3, now=NOW)

    assert [t.product.name for t in for_consumer.products] == ["Orders"]
    assert for_consumer.runs == 5
    assert for_consumer.failed_runs == 2
    assert [t.product.name for t in for_owner.products] == ["Ledger", "Orders"]
    assert for_owner.runs == 6
    assert for_owner.failed_runs == 3
    assert for_owner.failed_percent == 50.0
    assert for_owner.status_counts == {
        "met": 1,
        "at_risk": 0,
        "breached": 0,
        "unknown": 0,
    }
    assert for_owner.attainment_percent == 24.27
    assert for_owner.schema_changes == 2
    assert for_owner.open_violations == 2
    assert [day.runs for day in for_owner.history] == [1, 2, 3]
    assert [day.failed_runs for day in for_owner.history] == [0, 1, 2]
    # Ledger has no SLA, so only Orders' freshness is known.
    assert [day.fresh_percent for day in for_owner.history] == [0.0, 0.0, 100.0]
    assert [day.attainment for day in for_owner.history] == [38.71, 25.0, 4.17]


def test_domain_trust_without_visible_products(owner, consumer):
    make_product(
        "Ledger", owner=owner, classification=DataProduct.Classification.RESTRICTED
    )

    trust = domain_trust(
        make_domain("Finance"), products_visible_to(consumer), days=2, now=NOW
    )

    assert trust.products == []
    assert trust.runs == 0
    assert trust.attainment_percent is None
    assert [day.day.isoformat() for day in trust.history] == [
        "2026-03-09",
        "2026-03-10",
    ]


@pytest.mark.parametrize("extra_products", [0, 4])
def test_domain_trust_query_count(owner, extra_products, django_assert_num_queries):
    _orders_history(owner)
    for index in range(extra_products):
        name = f"/extra/{index}"
        send(_run("load_extra", MARCH_10, outputs=[name]))
        product = make_product(f"Extra {index}", owner=owner)
        service_level_set(product=product, freshness=timedelta(hours=1))
        publish(product, name)
        sla_evaluate(product_ids=[product.pk], now=NOW)
    finance = make_domain("Finance")
    visible = products_visible_to(owner)

    with django_assert_num_queries(9):
        trust = domain_trust(finance, visible, now=NOW)

    assert len(trust.products) == 1 + extra_products


def test_sla_attainment_chart_with_target(owner):
    product = _orders_history(owner)

    chart = sla_attainment_chart(product, days=3, now=NOW)

    assert [day.percent for day in chart.days] == [38.71, 25.0, 4.17]
    assert chart.percent == 24.27
    assert chart.availability_target == 95
