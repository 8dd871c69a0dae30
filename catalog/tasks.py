"""Celery tasks of the catalog: each loads ids and calls a service."""

from celery import shared_task

from catalog.contracts import contracts_check_ports
from catalog.models import OutputPort
from catalog.page_cache import product_pages_changed
from catalog.sla import sla_evaluate


@shared_task
def ports_changed(port_ids: list[int]) -> None:
    """Check the contracts and SLAs of ports that new OpenLineage events touched."""
    contracts_check_ports(port_ids=port_ids)
    product_ids = sorted(
        set(
            OutputPort.objects.filter(pk__in=port_ids).values_list(
                "product_id", flat=True
            )
        )
    )
    sla_evaluate(product_ids=product_ids)
    # The new runs change the trust figures (freshness, failed runs, schema
    # changes) even when no catalog row changed.
    product_pages_changed(product_ids)


@shared_task
def evaluate_slas() -> None:
    """Evaluate every SLA: freshness runs out with time, not only with events."""
    sla_evaluate()
