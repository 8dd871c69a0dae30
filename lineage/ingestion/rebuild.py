"""Rebuild every derived lineage table from the raw event log.

The raw log is the source of truth, so after a change to derivation (or to find
out whether the tables drifted) the derived tables are emptied and the events
replayed in the order they were received. It all happens in one transaction:
TRUNCATE holds an exclusive lock until the commit, so readers wait and never see
a half-built graph.
"""

import logging
from dataclasses import dataclass

import orjson
from django.db import connection, transaction

from lineage.ingestion.derive import derive_events
from lineage.ingestion.events import EventRejected
from lineage.ingestion.parsing import parse_event

logger = logging.getLogger(__name__)

# Every table derived from lineage_event, which itself is kept.
DERIVED_TABLES = (
    "lineage_namespace",
    "lineage_job",
    "lineage_dataset",
    "lineage_schemaversion",
    "lineage_run",
    "lineage_rundataset",
    "lineage_lineageedge",
    "lineage_columnlineageedge",
    "lineage_jobfacet",
    "lineage_runfacet",
    "lineage_datasetfacet",
)

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
        cursor.execute(f"TRUNCATE {', '.join(DERIVED_TABLES)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
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
    logger.info("Rebuilt lineage from %s events, %s skipped", replayed, skipped)
    return RebuildResult(replayed=replayed, skipped=skipped)
