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
from django.db import OperationalError, connection, transaction

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

# Upserts take row locks in key order, but an UPDATE joined to a batch locks
# rows in the order its plan picks, and a batch locks a table's rows in more
# than one statement. So two concurrent batches can still deadlock. PostgreSQL
# then aborts one, and since derivation is idempotent that one simply runs again.
DEADLOCK_DETECTED = "40P01"
DEADLOCK_ATTEMPTS = 3

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

EVENTS_SELECT = """
SELECT id, event_hash FROM lineage_event
WHERE event_hash IN (SELECT json_array_elements_text(%s::json))
"""


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
    first_index: dict[str, int] = {}
    for index, event in enumerate(events):
        first_index.setdefault(event.event_hash, index)

    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            ids, created = _store(events, first_index, api_key_id)
            break
        except OperationalError as error:
            sqlstate = getattr(error.__cause__, "sqlstate", None)
            if sqlstate != DEADLOCK_DETECTED or attempt == DEADLOCK_ATTEMPTS:
                raise
            logger.warning(
                "Deadlock while storing %s events (attempt %s of %s), retrying: %s",
                len(events),
                attempt,
                DEADLOCK_ATTEMPTS,
                error,
            )

    stored = [
        StoredEvent(ids[event.event_hash], index in created)
        for index, event in enumerate(events)
    ]
    logger.debug("Stored %s events, %s new", len(events), len(created))
    return stored


def _store(events, first_index, api_key_id) -> tuple[dict[str, int], set[int]]:
    unique = [events[index] for index in first_index.values()]
    batch = collect(unique)
    with transaction.atomic(), connection.cursor() as cursor:
        # The raw insert and the inserts of new names share a round trip. Names
        # of duplicates are inserted too, which changes nothing: they were when
        # the events first came, and only new events move the names' times.
        names = entities.name_statements(batch)
        statements = [_events_insert(unique, api_key_id), *names]
        if len(events) >= LARGE_BATCH_EVENTS:
            # Each statement sorts a whole batch of rows, payloads included, and
            # the default of 4 MB would spill those sorts to disk.
            statements.insert(0, ("SET LOCAL work_mem = '64MB'", []))
        results = execute_statements(cursor, statements)
        inserted = results[-len(names) - 1]
        ids = {event_hash: id for id, event_hash in inserted}
        created = {first_index[event_hash] for event_hash in ids}

        if len(ids) < len(unique):
            duplicates = [
                event.event_hash for event in unique if event.event_hash not in ids
            ]
            cursor.execute(EVENTS_SELECT, [orjson.dumps(duplicates).decode()])
            ids.update((event_hash, id) for id, event_hash in cursor.fetchall())
        if created:
            ids_by_name = entities.read_names(
                cursor, batch, names, results[-len(names) :]
            )
            if len(created) < len(unique):
                batch = collect([events[index] for index in sorted(created)])
            _derive_links(cursor, batch, *ids_by_name)
    return ids, created


def derive_events(cursor, events: list[ParsedEvent]) -> None:
    """Upsert every derived row that the events imply, in two round trips.

    Namespaces, jobs and datasets go first because the rest needs their ids.
    Recording new aliases adds a round trip or two in between.
    """
    if not events:
        return
    batch = collect(events)
    names = entities.name_statements(batch)
    results = execute_statements(cursor, names)
    _derive_links(cursor, batch, *entities.read_names(cursor, batch, names, results))


def _derive_links(
    cursor, batch, namespace_ids, job_ids, dataset_ids, canonical_ids
) -> None:
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
            # Last, so that the rows every batch shares stay locked only
            # until the commit that follows.
            *entities.name_time_statements(batch, namespace_ids, job_ids, dataset_ids),
        ],
    )


def _events_insert(events: list[ParsedEvent], api_key_id) -> tuple[str, list]:
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
        for event in events
    ]
    return EVENTS_INSERT, [api_key_id, *records(EVENT_COLUMNS, rows)]
