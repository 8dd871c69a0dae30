"""OpenLineage events for SLA and trust tests, sent through the ingestion service.

Each event carries its own eventTime, so tests control every time involved.
"""

import uuid
from datetime import datetime

from catalog.models import DataProduct, OutputPort
from catalog.services import output_port_add
from lineage.models import Dataset
from lineage.services import ingest_payloads

PRODUCER = "https://example.com/groundskeeper-sla-tests/1.0"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SCHEMA_FACET = "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json"
SYMLINKS_FACET = "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json"
LAKE = "s3://lake"


def dataset(name: str, *, columns=None, alias: str | None = None) -> dict:
    """A dataset in the lake; `columns` adds a schema facet, `alias` a symlink
    that makes `name` an alias of the dataset `alias`."""
    facets = {}
    if columns is not None:
        facets["schema"] = {
            "_producer": PRODUCER,
            "_schemaURL": SCHEMA_FACET,
            "fields": [{"name": column, "type": "STRING"} for column in columns],
        }
    if alias is not None:
        facets["symlinks"] = {
            "_producer": PRODUCER,
            "_schemaURL": SYMLINKS_FACET,
            "identifiers": [{"namespace": LAKE, "name": alias, "type": "TABLE"}],
        }
    return {"namespace": LAKE, "name": name, "facets": facets}


def run_events(
    job: str,
    *,
    started: datetime,
    ended: datetime | None = None,
    state: str = "COMPLETE",
    outputs=(),
    inputs=(),
) -> list[dict]:
    """The START event of a run and, when `ended` is given, its last event."""
    run_id = str(uuid.uuid4())

    def event(event_type: str, at: datetime) -> dict:
        return {
            "eventType": event_type,
            "eventTime": at.isoformat(),
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA,
            "run": {"runId": run_id},
            "job": {"namespace": "etl", "name": job},
            "inputs": [
                item if isinstance(item, dict) else dataset(item) for item in inputs
            ],
            "outputs": [
                item if isinstance(item, dict) else dataset(item) for item in outputs
            ],
        }

    events = [event("START", started)]
    if ended is not None:
        events.append(event(state, ended))
    return events


def send(*event_lists: list[dict]) -> None:
    events = [event for events in event_lists for event in events]
    outcomes = ingest_payloads(events, source="tests")
    errors = [outcome.error for outcome in outcomes if outcome.error]
    assert errors == []


def publish(product: DataProduct, name: str) -> OutputPort:
    """Make the lake dataset `name` an output port of the product."""
    found = Dataset.objects.get(namespace__name=LAKE, name=name)
    return output_port_add(product=product, dataset=found)
