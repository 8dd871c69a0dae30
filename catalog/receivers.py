"""Reactions to lineage: new events may change a product's SLA or break its
contract, so the ports they touched are checked in the background."""

import logging
import time

from django.db import transaction
from django.dispatch import receiver

from catalog.models import OutputPort
from catalog.selectors import ports_written
from catalog.tasks import ports_changed
from lineage.models import Run
from lineage.signals import events_stored

logger = logging.getLogger(__name__)

# Whether any output port exists, re-read at most this often per process: most
# events touch no port, and an empty catalog should cost ingestion nothing.
PORTS_EXIST_SECONDS = 5.0
_ports_exist = (False, 0.0)


def _any_port_exists() -> bool:
    global _ports_exist
    exists, valid_until = _ports_exist
    now = time.monotonic()
    if now >= valid_until:
        exists = OutputPort.objects.exists()
        _ports_exist = (exists, now + PORTS_EXIST_SECONDS)
    return exists


def forget_ports_exist() -> None:
    """Make the next event re-read whether ports exist (after adding the first)."""
    global _ports_exist
    _ports_exist = (False, 0.0)


# A run that ended, whether it succeeded or not, changes the freshness and the
# failed-run share of the ports it wrote.
ENDED_STATES = (Run.State.COMPLETE, Run.State.FAIL, Run.State.ABORT)


def touched_names_and_runs(events) -> tuple[set, set]:
    """Return the (namespace, name) pairs the events wrote and the ids of the
    runs they ended. The ending event often names no outputs, which the run's
    START named."""
    pairs = set()
    ended_run_ids = set()
    for event in events:
        datasets = event.outputs if event.dataset is None else [event.dataset]
        pairs.update((dataset.namespace, dataset.name) for dataset in datasets)
        if event.run_state in ENDED_STATES and event.run_id is not None:
            ended_run_ids.add(event.run_id)
    return pairs, ended_run_ids


@receiver(events_stored, dispatch_uid="catalog.check_touched_ports")
def check_touched_ports(sender, events, **kwargs) -> None:
    if not _any_port_exists():
        return
    pairs, ended_run_ids = touched_names_and_runs(events)
    port_ids = ports_written(sorted(pairs), sorted(ended_run_ids))
    if port_ids:
        transaction.on_commit(lambda: _enqueue(port_ids))


def _enqueue(port_ids: list[int]) -> None:
    try:
        ports_changed.delay(port_ids)
    except Exception:  # noqa: BLE001 - the scheduled check catches up later
        logger.exception("Could not queue the check of output ports %s", port_ids)
