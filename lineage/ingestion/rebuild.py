"""Rebuild every derived lineage table from the raw event log.

The raw log is the source of truth, so after a change to derivation (or to find
out whether the tables drifted) the derived tables are emptied and the events
replayed in the order they were received. It all happens in one transaction,
so readers never see a half-built graph: TRUNCATE makes them wait for the
commit.

Other apps refer to namespaces, jobs, datasets and schema versions (a catalog
port names a dataset), so those rows keep their ids: they are emptied, put back
with their ids and names and with times that any event replaces, and the
replay fills in the rest. Rows that no replayed event names are deleted.
"""

import logging
from dataclasses import dataclass

import orjson
from django.db import connection, transaction

from lineage.ingestion.derive import derive_events
from lineage.ingestion.events import EventRejected
from lineage.ingestion.parsing import parse_event
from lineage.signals import lineage_rebuilt

logger = logging.getLogger(__name__)

# Derived tables that nothing outside lineage refers to: truncated.
TRUNCATED_TABLES = (
    "lineage_run",
    "lineage_rundataset",
    "lineage_lineageedge",
    "lineage_columnlineageedge",
    "lineage_jobfacet",
    "lineage_runfacet",
    "lineage_datasetfacet",
)

# Derived tables whose ids other apps keep, each with the columns that identify
# a row and the values that reset the rest. '+infinity' as a first time and
# '-infinity' as a last time lose to any event's time in the replay's
# LEAST/GREATEST merges. Ordered so that each table's references come first.
KEPT_TABLES = (
    ("lineage_namespace", "id, name", "first_seen_at", "'infinity'"),
    (
        "lineage_job",
        "id, namespace_id, name",
        "first_seen_at, last_event_time",
        "'infinity', '-infinity'",
    ),
    (
        "lineage_dataset",
        "id, namespace_id, name",
        "first_seen_at, last_event_time",
        "'infinity', '-infinity'",
    ),
    (
        "lineage_schemaversion",
        "id, dataset_id, fingerprint, fields",
        "first_seen_at, last_seen_at",
        "'infinity', '-infinity'",
    ),
)
# Every table derived from lineage_event, which itself is kept.
DERIVED_TABLES = TRUNCATED_TABLES + tuple(table for table, *_ in KEPT_TABLES)

EVENTS_PAGE = """
SELECT id, payload::text FROM lineage_event WHERE id > %s ORDER BY id LIMIT %s
"""


@dataclass(frozen=True, slots=True)
class RebuildResult:
    replayed: int
    # Stored events that the current parser rejects: they derive nothing.
    skipped: int


def rebuild_lineage(*, batch_size: int = 1000) -> RebuildResult:
    """Empty the derived tables and replay every stored event, in id order."""
    replayed = skipped = 0
    last_id = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # Django's foreign keys are checked at commit, and TRUNCATE refuses to
        # run while such checks are pending from earlier writes in the same
        # transaction (a caller's outer atomic block, or a test).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(TRUNCATED_TABLES)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        _reset_kept_tables(cursor)
        while True:
            cursor.execute(EVENTS_PAGE, [last_id, batch_size])
            rows = cursor.fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            events = []
            for event_id, payload in rows:
                try:
                    events.append(parse_event(orjson.loads(payload)))
                except EventRejected as error:
                    logger.warning(
                        "Skipped stored event %s in the rebuild: %s (field %s)",
                        event_id,
                        error.message,
                        error.field,
                    )
                    skipped += 1
            derive_events(cursor, events)
            replayed += len(events)
        _delete_unnamed_rows(cursor)
        lineage_rebuilt.send(sender=rebuild_lineage)
    logger.info("Rebuilt lineage from %s events, %s skipped", replayed, skipped)
    return RebuildResult(replayed=replayed, skipped=skipped)


def _reset_kept_tables(cursor) -> None:
    """Empty the kept tables and put back each row's id and identifying columns.

    Foreign keys are checked at commit, so a row may be deleted and put back
    while other tables still refer to it.
    """
    for table, identity, _, _ in KEPT_TABLES:
        cursor.execute(
            f"CREATE TEMPORARY TABLE kept_{table} ON COMMIT DROP AS "
            f"SELECT {identity} FROM {table}"
        )
    for table, _, _, _ in reversed(KEPT_TABLES):
        cursor.execute(f"DELETE FROM {table}")
    for table, identity, times, reset in KEPT_TABLES:
        cursor.execute(
            f"INSERT INTO {table} ({identity}, {times}) "
            f"SELECT {identity}, {reset} FROM kept_{table}"
        )


def _delete_unnamed_rows(cursor) -> None:
    """Delete kept rows that no replayed event named (their first time is unset)."""
    for table, _, times, _ in reversed(KEPT_TABLES):
        first_time = times.split(",")[0]
        cursor.execute(f"DELETE FROM {table} WHERE {first_time} = 'infinity'")
        if cursor.rowcount:
            # NOTE: if another app still refers to one of these rows, the
            # commit fails on its foreign key and the rebuild changes nothing.
            logger.warning(
                "Rebuild removed %s rows of %s that no event names any more",
                cursor.rowcount,
                table,
            )
