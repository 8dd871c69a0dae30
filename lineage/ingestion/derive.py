"""Store parsed OpenLineage events and derive the lineage tables from them.

`store_events` appends each event to the raw log once and derives, from the
events that were new, every derived table with a few multi-row statements per
table, so one event and five thousand cost the same number of round trips.
Derived columns are set once, kept as least or greatest, or chosen by eventTime,
so the tables do not depend on arrival order and `rebuild_lineage` can replay
the log into the same state.
"""

import logging
from dataclasses import dataclass

import orjson
from django.db import connection, transaction

from lineage.ingestion import entities, links
from lineage.ingestion.aliases import resolve_aliases
from lineage.ingestion.batch import collect
from lineage.ingestion.events import ParsedEvent

logger = logging.getLogger(__name__)

EVENTS_INSERT = """
INSERT INTO lineage_event (
    event_hash, event_type, run_state, event_time, run_id, producer, schema_url,
    payload, warnings, received_at, api_key_id
)
SELECT event_hash, event_type, run_state, event_time, run_id, producer, schema_url,
    payload::jsonb, warnings::jsonb, now(), %s
FROM unnest(
    %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::uuid[], %s::text[],
    %s::text[], %s::text[], %s::text[]
) AS t(event_hash, event_type, run_state, event_time, run_id, producer, schema_url,
    payload, warnings)
ORDER BY event_hash
ON CONFLICT (event_hash) DO NOTHING
RETURNING id, event_hash
"""

EVENTS_SELECT = "SELECT id, event_hash FROM lineage_event WHERE event_hash = ANY(%s)"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: int
    # False when the same event was already stored, or came earlier in the batch.
    created: bool


def store_events(
    events: list[ParsedEvent], *, api_key_id: int | None = None
) -> list[StoredEvent]:
    """Store events once each and derive lineage from the new ones, in one transaction.

    Returns one StoredEvent per input event, in the same order.
    """
    if not events:
        return []
    with transaction.atomic(), connection.cursor() as cursor:
        ids, created = _insert_events(cursor, events, api_key_id)
        derive_events(cursor, [events[index] for index in sorted(created)])

    stored = []
    for index, event in enumerate(events):
        stored.append(StoredEvent(ids[event.event_hash], index in created))
    logger.debug("Stored %s events, %s new", len(events), len(created))
    return stored


def derive_events(cursor, events: list[ParsedEvent]) -> None:
    """Upsert every derived row that the events imply, table by table."""
    if not events:
        return
    batch = collect(events)
    namespace_ids = entities.upsert_namespaces(cursor, batch)
    job_ids = entities.upsert_jobs(cursor, batch, namespace_ids) if batch.jobs else {}
    dataset_ids, canonical_ids = ({}, {})
    if batch.datasets:
        dataset_ids, canonical_ids = entities.upsert_datasets(
            cursor, batch, namespace_ids
        )
    canonical = resolve_aliases(cursor, batch, dataset_ids, canonical_ids)
    versions = links.upsert_schema_versions(cursor, batch, dataset_ids)
    run_ids = entities.upsert_runs(cursor, batch, job_ids)

    links.upsert_run_datasets(cursor, batch, run_ids, dataset_ids, canonical, versions)
    links.upsert_edges(cursor, batch, job_ids, dataset_ids, canonical)
    links.upsert_column_edges(cursor, batch, dataset_ids, canonical)
    links.upsert_facets(cursor, batch, job_ids, run_ids, dataset_ids)


def _insert_events(cursor, events, api_key_id) -> tuple[dict[str, int], set[int]]:
    """Insert the events not stored yet; return ids by hash and the new indexes.

    Only the first of several equal events in one batch counts as new.
    """
    first_index = {}
    for index, event in enumerate(events):
        first_index.setdefault(event.event_hash, index)
    unique = [events[index] for index in first_index.values()]

    params = [
        api_key_id,
        [event.event_hash for event in unique],
        [event.event_type for event in unique],
        [event.run_state for event in unique],
        [event.event_time for event in unique],
        [event.run_id for event in unique],
        [event.producer for event in unique],
        [event.schema_url for event in unique],
        [orjson.dumps(event.payload).decode() for event in unique],
        [
            orjson.dumps([w.as_dict() for w in event.warnings]).decode()
            for event in unique
        ],
    ]
    cursor.execute(EVENTS_INSERT, params)
    ids = dict((event_hash, id) for id, event_hash in cursor.fetchall())
    created = {first_index[event_hash] for event_hash in ids}

    duplicates = [event_hash for event_hash in first_index if event_hash not in ids]
    if duplicates:
        cursor.execute(EVENTS_SELECT, [duplicates])
        ids.update((event_hash, id) for id, event_hash in cursor.fetchall())
    return ids, created
