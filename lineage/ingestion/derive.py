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

from django.db import connection, transaction

from lineage.ingestion import entities, links
from lineage.ingestion.aliases import resolve_aliases
from lineage.ingestion.batch import (
    collect,
    execute_statements,
    records,
    recordset,
)
from lineage.ingestion.events import ParsedEvent

logger = logging.getLogger(__name__)

LARGE_BATCH_EVENTS = 500

EVENT_COLUMNS = (
    "event_hash text, event_type text, run_state text, event_time timestamptz,"
    " run_id uuid, producer text, schema_url text, payload json, warnings jsonb"
)
EVENTS_INSERT = f"""
INSERT INTO lineage_event (
    event_hash, event_type, run_state, event_time, run_id, producer, schema_url,
    payload, warnings, received_at, api_key_id
)
SELECT event_hash, event_type, run_state, event_time, run_id, producer, schema_url,
    payload, warnings, now(), %s
FROM {recordset(EVENT_COLUMNS)}
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
        if len(events) >= LARGE_BATCH_EVENTS:
            # Each statement sorts a whole batch of rows, payloads included;
            # the default 4 MB would spill those sorts to disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        ids, created = _insert_events(cursor, events, api_key_id)
        derive_events(cursor, [events[index] for index in sorted(created)])

    stored = []
    for index, event in enumerate(events):
        stored.append(StoredEvent(ids[event.event_hash], index in created))
    logger.debug("Stored %s events, %s new", len(events), len(created))
    return stored


def derive_events(cursor, events: list[ParsedEvent]) -> None:
    """Upsert every derived row that the events imply, table by table.

    Two round trips: namespaces, jobs and datasets, whose ids the rest need,
    then everything else. Recording new aliases adds a few in between.
    """
    if not events:
        return
    batch = collect(events)
    job_ids, dataset_ids, canonical_ids = entities.upsert_names(cursor, batch)
    canonical = resolve_aliases(cursor, batch, dataset_ids, canonical_ids)
    execute_statements(
        cursor,
        [
            *entities.job_parent_statements(batch, job_ids),
            *links.schema_statements(batch, dataset_ids),
            *entities.run_statements(batch, job_ids),
            *links.run_dataset_statements(batch, dataset_ids, canonical),
            *links.edge_statements(batch, job_ids, dataset_ids, canonical),
            *links.column_edge_statements(batch, dataset_ids, canonical),
            *links.facet_statements(batch, job_ids, dataset_ids),
        ],
    )


def _insert_events(cursor, events, api_key_id) -> tuple[dict[str, int], set[int]]:
    """Insert the events not stored yet; return ids by hash and the new indexes.

    Only the first of several equal events in one batch counts as new.
    """
    first_index = {}
    for index, event in enumerate(events):
        first_index.setdefault(event.event_hash, index)
    unique = [events[index] for index in first_index.values()]

    rows = [
        (
            event.event_hash,
            event.event_type,
            event.run_state,
            event.event_time,
            event.run_id,
            event.producer,
            event.schema_url,
            event.payload,
            [warning.as_dict() for warning in event.warnings],
        )
        for event in unique
    ]
    cursor.execute(EVENTS_INSERT, [api_key_id, *records(EVENT_COLUMNS, rows)])
    ids = dict((event_hash, id) for id, event_hash in cursor.fetchall())
    created = {first_index[event_hash] for event_hash in ids}

    duplicates = [event_hash for event_hash in first_index if event_hash not in ids]
    if duplicates:
        cursor.execute(EVENTS_SELECT, [duplicates])
        ids.update((event_hash, id) for id, event_hash in cursor.fetchall())
    return ids, created
