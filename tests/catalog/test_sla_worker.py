"""OpenLineage events sent to the ingestion API change a product's SLA status
through a real Celery worker: the receiver queues `ports_changed` after the
events commit, and the worker evaluates the product's SLA."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import Notification, SlaPeriod, SlaStatus
from catalog.sla import service_level_set, sla_evaluate
from portal.celery import app as celery_app
from tests.catalog.sla_events import publish, run_events
from tests.catalog_factories import make_product
from tests.test_worker import broker_env, start_worker, stop_worker, wait_for

pytestmark = [pytest.mark.worker]

ORDERS = "/orders/daily"


def _post(client, key, events):
    response = client.post(
        "/api/v1/lineage/batch",
        data=json.dumps(events),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code in (200, 201), response.content


def _open_status(product):
    period = SlaPeriod.objects.filter(product=product, ended_at__isnull=True).first()
    return period and period.status


def test_worker_evaluates_sla_after_events(
    transactional_db, client, pipeline_key, owner, tmp_path, monkeypatch
):
    now = timezone.now()
    # The first run declares the dataset, so that it can become a port.
    _post(
        client, pipeline_key, run_events("load_orders", started=now, outputs=[ORDERS])
    )
    product = make_product("Orders", owner=owner)
    service_level_set(product=product, freshness=timedelta(hours=1))
    publish(product, ORDERS)
    sla_evaluate(now=now)
    assert _open_status(product) == SlaStatus.UNKNOWN

    queue = f"test-sla-worker-{uuid.uuid4().hex}"
    # Tasks sent from this process go to this test's queue only.
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    worker = start_worker(queue, broker_env("redis", tmp_path))
    try:
        stale = run_events(
            "load_orders",
            started=now - timedelta(hours=3),
            ended=now - timedelta(hours=2),
            outputs=[ORDERS],
        )
        _post(client, pipeline_key, stale)
        breached = wait_for(lambda: _open_status(product) == SlaStatus.BREACHED)

        fresh = run_events(
            "load_orders",
            started=timezone.now() - timedelta(minutes=5),
            ended=timezone.now(),
            outputs=[ORDERS],
        )
        _post(client, pipeline_key, fresh)
        met = wait_for(lambda: _open_status(product) == SlaStatus.MET)
    finally:
        log = stop_worker(worker)

    assert breached, f"The worker did not record the breach. Its log:\n{log}"
    assert met, f"The worker did not record the fresh run. Its log:\n{log}"
    assert "Task catalog.tasks.ports_changed" in log
    statuses = list(
        SlaPeriod.objects.filter(product=product)
        .order_by("started_at")
        .values_list("status", flat=True)
    )
    assert statuses == [SlaStatus.UNKNOWN, SlaStatus.BREACHED, SlaStatus.MET]
    notification = Notification.objects.get(recipient=owner)
    assert notification.kind == Notification.Kind.SLA_BREACH
