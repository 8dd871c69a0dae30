"""SLA evaluation from OpenLineage events the tests send, at times they choose."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from catalog.models import (
    DataProduct,
    Notification,
    ServiceLevel,
    SlaPeriod,
    SlaStatus,
)
from catalog.sla import (
    latest_scheduled_time,
    parse_schedule,
    service_level_set,
    sla_evaluate,
)
from catalog.tasks import evaluate_slas
from portal.celery import app as celery_app
from tests.catalog.sla_events import publish, run_events, send
from tests.catalog_factories import make_product
from tests.conftest import second_session

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ORDERS = "/orders/daily"


def _orders(owner, *, freshness=timedelta(hours=6), schedule="", **fields):
    product = make_product("Orders", owner=owner, **fields)
    service_level_set(product=product, freshness=freshness, schedule=schedule)
    return product


def _complete(job, dataset, ended, *, state="COMPLETE"):
    send(
        run_events(
            job,
            started=ended - timedelta(minutes=10),
            ended=ended,
            state=state,
            outputs=[dataset],
        )
    )


def _status(product):
    return SlaPeriod.objects.get(product=product, ended_at__isnull=True).status


def test_sla_met_after_recent_run(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=2))
    product = _orders(owner)
    publish(product, ORDERS)

    (period,) = sla_evaluate(now=NOW)

    assert period.status == SlaStatus.MET
    assert period.started_at == NOW
    assert period.last_success_at == NOW - timedelta(hours=2)
    assert period.detail == (
        "s3://lake:/orders/daily was last updated 2 hours ago; "
        "the freshness target is 6 hours."
    )


def test_sla_at_risk_past_80_percent(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=5))
    product = _orders(owner)
    publish(product, ORDERS)

    sla_evaluate(now=NOW)

    assert _status(product) == SlaStatus.AT_RISK


def test_sla_breached_past_freshness(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=7, minutes=5))
    product = _orders(owner)
    publish(product, ORDERS)

    (period,) = sla_evaluate(now=NOW)

    assert period.status == SlaStatus.BREACHED
    assert period.detail == (
        "s3://lake:/orders/daily was last updated 7 hours 5 minutes ago; "
        "the freshness target is 6 hours."
    )


def test_sla_unknown_without_complete_run(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1), state="FAIL")
    send(run_events("load_orders", started=NOW - timedelta(minutes=5)))
    product = _orders(owner)
    publish(product, ORDERS)

    (period,) = sla_evaluate(now=NOW)

    assert period.status == SlaStatus.UNKNOWN
    assert period.last_success_at is None
    assert period.detail == "No COMPLETE run has written s3://lake:/orders/daily yet."


def test_sla_unknown_without_freshness_target(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner, freshness=None)
    publish(product, ORDERS)

    (period,) = sla_evaluate(now=NOW)

    assert period.status == SlaStatus.UNKNOWN
    assert period.detail == "No freshness target is set."


def test_sla_unknown_without_output_port(owner):
    product = _orders(owner)

    (period,) = sla_evaluate(now=NOW)

    assert period.product == product
    assert period.status == SlaStatus.UNKNOWN
    assert period.detail == "The product has no output port."


def test_sla_ignores_runs_ending_later(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=7))
    _complete("load_orders", ORDERS, NOW + timedelta(minutes=1))
    product = _orders(owner)
    publish(product, ORDERS)

    sla_evaluate(now=NOW)

    assert _status(product) == SlaStatus.BREACHED


def test_sla_at_risk_missed_schedule(owner):
    # Fresh enough (6 hours 20 minutes of 24), but the 06:00 run is 6 hours late.
    _complete("load_orders", ORDERS, NOW - timedelta(hours=6, minutes=20))
    product = _orders(owner, freshness=timedelta(hours=24), schedule="0 6 * * *")
    publish(product, ORDERS)

    (period,) = sla_evaluate(now=NOW)

    assert period.status == SlaStatus.AT_RISK
    assert period.detail == (
        "s3://lake:/orders/daily was last updated 6 hours 20 minutes ago; "
        "the freshness target is 1 day. "
        "The run scheduled for 2026-03-10 06:00 UTC has not completed."
    )


def test_sla_met_within_schedule_grace(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=5))
    product = _orders(owner, freshness=timedelta(hours=24), schedule="45 11 * * *")
    publish(product, ORDERS)

    sla_evaluate(now=NOW)

    # 11:45 plus 30 minutes of grace is still ahead, and the 11:45 run of
    # the day before is covered by the run that ended at 07:00.
    assert _status(product) == SlaStatus.MET


def test_sla_ignores_invalid_stored_schedule(owner, caplog):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)
    ServiceLevel.objects.filter(product=product).update(schedule="every day")

    sla_evaluate(now=NOW)

    assert _status(product) == SlaStatus.MET
    assert f"Ignored the invalid SLA schedule of product {product.pk}" in caplog.text


def test_sla_worst_port_decides(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    _complete("load_refunds", "/refunds/daily", NOW - timedelta(hours=9))
    product = _orders(owner)
    publish(product, ORDERS)
    publish(product, "/refunds/daily")

    (period,) = sla_evaluate(now=NOW)

    assert period.status == SlaStatus.BREACHED
    assert period.last_success_at == NOW - timedelta(hours=9)
    assert period.detail.startswith("s3://lake:/refunds/daily was last updated")


def test_sla_unknown_port_outranks_met_port(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    send(run_events("load_refunds", started=NOW, outputs=["/refunds/daily"]))
    product = _orders(owner)
    publish(product, ORDERS)
    publish(product, "/refunds/daily")

    sla_evaluate(now=NOW)

    assert _status(product) == SlaStatus.UNKNOWN


def test_sla_evaluating_twice_changes_nothing(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)

    first = sla_evaluate(now=NOW)
    again = sla_evaluate(now=NOW)
    later = sla_evaluate(now=NOW + timedelta(minutes=30))

    assert len(first) == 1
    assert again == []
    assert later == []
    assert SlaPeriod.objects.filter(product=product).count() == 1


def test_sla_status_change_closes_open_period(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)
    sla_evaluate(now=NOW)

    later = NOW + timedelta(hours=6)
    sla_evaluate(now=later)

    met, breached = SlaPeriod.objects.filter(product=product).order_by("started_at")
    assert met.status == SlaStatus.MET
    assert met.ended_at == later
    assert breached.status == SlaStatus.BREACHED
    assert breached.started_at == later
    assert breached.ended_at is None


def test_sla_skips_stale_evaluation(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)
    sla_evaluate(now=NOW + timedelta(hours=6))

    assert sla_evaluate(now=NOW) == []
    assert _status(product) == SlaStatus.BREACHED


def test_sla_evaluates_only_named_products(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)
    other = make_product("Refunds", owner=owner)
    service_level_set(product=other, freshness=timedelta(hours=1))

    sla_evaluate(product_ids=[other.pk], now=NOW)

    assert not SlaPeriod.objects.filter(product=product).exists()
    assert SlaPeriod.objects.get(product=other).status == SlaStatus.UNKNOWN


def _downstream_of_orders(steward, **fields):
    """Revenue reads the orders port: a product downstream of Orders."""
    revenue = make_product("Revenue", stewards=[steward], **fields)
    send(
        run_events(
            "build_revenue",
            started=NOW - timedelta(hours=1),
            ended=NOW - timedelta(minutes=50),
            inputs=[ORDERS],
            outputs=["/revenue/daily"],
        )
    )
    publish(revenue, "/revenue/daily")
    return revenue


def test_breach_notifies_owners_and_downstream_once(owner, steward):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=7))
    product = _orders(owner)
    publish(product, ORDERS)
    revenue = _downstream_of_orders(steward)

    sla_evaluate(now=NOW)
    sla_evaluate(now=NOW + timedelta(minutes=1))

    to_owner = Notification.objects.get(recipient=owner)
    assert to_owner.kind == Notification.Kind.SLA_BREACH
    assert to_owner.product == product
    assert to_owner.subject == "SLA breached: Orders"
    assert to_owner.body == (
        "Orders breached its SLA. s3://lake:/orders/daily was last updated "
        "7 hours ago; the freshness target is 6 hours."
    )
    to_steward = Notification.objects.get(recipient=steward)
    assert to_steward.kind == Notification.Kind.UPSTREAM_SLA_BREACH
    assert to_steward.product == revenue
    assert to_steward.subject == "Upstream SLA breached for Revenue"
    assert to_steward.body == (
        "Orders, upstream of Revenue, breached its SLA: it was last updated "
        "7 hours ago; the freshness target is 6 hours."
    )


def test_second_breach_notifies_again(owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=7))
    product = _orders(owner)
    publish(product, ORDERS)
    sla_evaluate(now=NOW)
    _complete("load_orders", ORDERS, NOW + timedelta(minutes=5))
    sla_evaluate(now=NOW + timedelta(minutes=10))

    sla_evaluate(now=NOW + timedelta(hours=7))

    statuses = list(
        SlaPeriod.objects.filter(product=product)
        .order_by("started_at")
        .values_list("status", flat=True)
    )
    assert statuses == [SlaStatus.BREACHED, SlaStatus.MET, SlaStatus.BREACHED]
    assert Notification.objects.filter(recipient=owner).count() == 2


def test_restricted_breach_unnamed_downstream(owner, steward):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=7))
    product = _orders(owner, classification=DataProduct.Classification.RESTRICTED)
    publish(product, ORDERS)
    _downstream_of_orders(steward)

    sla_evaluate(now=NOW)

    to_steward = Notification.objects.get(recipient=steward)
    assert to_steward.body.startswith("An upstream product, upstream of Revenue,")
    assert "Orders" not in to_steward.body


def test_sla_unchanged_evaluation_query_count(owner, django_assert_num_queries):
    for index in range(5):
        dataset = f"/orders/part-{index}"
        _complete("load_orders", dataset, NOW - timedelta(hours=1))
        product = make_product(f"Orders {index}", owner=owner)
        service_level_set(product=product, freshness=timedelta(hours=6))
        publish(product, dataset)
    sla_evaluate(now=NOW)

    # SLA ids, one batch of SLAs, the ports' freshness and the open periods.
    with django_assert_num_queries(4):
        assert sla_evaluate(now=NOW + timedelta(minutes=1)) == []


@pytest.mark.parametrize(
    ("expression", "before", "expected"),
    [
        ("0 6 * * *", "2026-03-10 11:30", "2026-03-10 06:00"),
        ("0 6 * * *", "2026-03-10 05:59", "2026-03-09 06:00"),
        ("*/15 * * * *", "2026-03-10 11:44", "2026-03-10 11:30"),
        ("30 2 * * 1", "2026-03-10 11:30", "2026-03-09 02:30"),
        ("0 0 29 2 *", "2026-03-10 11:30", "2024-02-29 00:00"),
    ],
)
def test_latest_scheduled_time(expression, before, expected):
    at = datetime.fromisoformat(before).replace(tzinfo=UTC)

    found = latest_scheduled_time(parse_schedule(expression), at)

    assert found == datetime.fromisoformat(expected).replace(tzinfo=UTC)


def test_beat_installs_sla_evaluation(transactional_db):
    DatabaseScheduler(app=celery_app)

    entry = PeriodicTask.objects.get(name="catalog-evaluate-slas")
    assert entry.task == "catalog.tasks.evaluate_slas"
    assert entry.interval.every == 60
    assert entry.interval.period == "seconds"
    assert entry.expire_seconds == 55


def test_evaluate_slas_task_runs(owner):
    _complete("load_orders", ORDERS, timezone.now() - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)

    evaluate_slas.apply()

    assert _status(product) == SlaStatus.MET


def test_concurrent_evaluation_waits_for_lock(transactional_db, owner):
    _complete("load_orders", ORDERS, NOW - timedelta(hours=1))
    product = _orders(owner)
    publish(product, ORDERS)
    opened = []

    def evaluate():
        try:
            opened.extend(sla_evaluate(now=NOW))
        finally:
            connection.close()

    worker = threading.Thread(target=evaluate)
    with second_session() as other:
        with other.transaction():
            # Another evaluation holds the product row and records the change.
            other.execute(
                "SELECT id FROM catalog_dataproduct WHERE id = %s FOR UPDATE",
                [product.pk],
            )
            worker.start()
            assert _wait_for_lock_wait(other), "The evaluation never waited."
            other.execute(
                "INSERT INTO catalog_slaperiod "
                "(product_id, status, started_at, detail) "
                "VALUES (%s, 'met', %s, 'Recorded by another worker.')",
                [product.pk, NOW],
            )
        worker.join(timeout=30)

    assert not worker.is_alive()
    assert opened == []
    period = SlaPeriod.objects.get(product=product)
    assert period.detail == "Recorded by another worker."


def _wait_for_lock_wait(session, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = session.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"
        ).fetchone()[0]
        if waiting:
            return True
        time.sleep(0.05)
    return False
