"""Dataset aliases from the SymlinksDatasetFacet: a storage path that is also a table.

Lineage (edges, run datasets, column lineage) is recorded only on canonical
datasets, the ends of alias chains. When a dataset becomes an alias, the lineage
already recorded on it moves to its canonical dataset and merges there. Facets
and schema versions stay on the dataset as named, because they describe that
identifier.
"""

import logging

from lineage.ingestion.batch import Batch, execute_statements, records, recordset
from lineage.ingestion.links import (
    COLUMN_EDGES_INSERT,
    EDGES_INSERT,
    RUN_DATASETS_INSERT,
    RUN_DATASETS_MERGE,
)

logger = logging.getLogger(__name__)

# Bounds the walk in case two concurrent batches close a cycle.
MAX_CHAIN_LENGTH = 32

CHAINS_SELECT = """
WITH RECURSIVE chain(id, canonical_id, depth) AS (
    SELECT id, canonical_id, 0 FROM lineage_dataset WHERE id = ANY(%s::bigint[])
    UNION ALL
    SELECT d.id, d.canonical_id, chain.depth + 1
    FROM chain JOIN LATERAL (
        SELECT id, canonical_id FROM lineage_dataset WHERE id = chain.canonical_id
    ) d ON true
    WHERE chain.depth < %s
)
SELECT DISTINCT id, canonical_id FROM chain
"""

# Set once: a dataset keeps the first canonical it was given.
# NOTE: two symlinks facets naming different tables keep whichever arrived first.
CANONICAL_COLUMNS = "id bigint, canonical_id bigint"
CANONICAL_UPDATE = f"""
UPDATE lineage_dataset d SET canonical_id = t.canonical_id
FROM {recordset(CANONICAL_COLUMNS)}
WHERE d.id = t.id AND d.id = ANY(%s::bigint[]) AND d.canonical_id IS NULL
"""

MOVE_COLUMNS = "alias_id bigint, canonical_id bigint"
MOVES = recordset(MOVE_COLUMNS, alias="m")

EDGES_MOVE = f"""
WITH moved AS (
    DELETE FROM lineage_lineageedge e USING {MOVES}
    WHERE e.dataset_id = m.alias_id AND e.dataset_id = ANY(%s::bigint[])
    RETURNING e.job_id, m.canonical_id AS dataset_id, e.direction, e.seen_in_runs,
        e.declared, e.first_seen_at, e.last_seen_at
)""" + EDGES_INSERT.format(source="moved")

RUN_DATASETS_MOVE = (
    f"""
WITH moved AS (
    DELETE FROM lineage_rundataset rd USING {MOVES}
    WHERE rd.dataset_id = m.alias_id AND rd.dataset_id = ANY(%s::bigint[])
    RETURNING rd.run_id, m.canonical_id AS dataset_id, rd.direction,
        rd.schema_version_id, rd.facets, rd.event_time
)"""
    + RUN_DATASETS_INSERT.format(source="moved")
    + RUN_DATASETS_MERGE
)

COLUMN_EDGES_MOVE = f"""
WITH moves AS (SELECT * FROM {MOVES}),
moved AS (
    DELETE FROM lineage_columnlineageedge c
    WHERE c.output_dataset_id = ANY(%s::bigint[])
        OR c.input_dataset_id = ANY(%s::bigint[])
    RETURNING c.output_dataset_id, c.output_field, c.input_dataset_id,
        c.input_field, c.transformations, c.first_seen_at, c.last_seen_at
),
mapped AS (
    SELECT COALESCE(o.canonical_id, moved.output_dataset_id) AS output_dataset_id,
        moved.output_field,
        COALESCE(i.canonical_id, moved.input_dataset_id) AS input_dataset_id,
        moved.input_field, moved.transformations, moved.first_seen_at,
        moved.last_seen_at
    FROM moved
    LEFT JOIN moves o ON o.alias_id = moved.output_dataset_id
    LEFT JOIN moves i ON i.alias_id = moved.input_dataset_id
)""" + COLUMN_EDGES_INSERT.format(source="mapped")


def resolve_aliases(
    cursor, batch: Batch, dataset_ids: dict, canonical_ids: dict
) -> dict[int, int]:
    """Record the batch's new aliases and return each dataset id's canonical id."""
    if not batch.aliases and not any(canonical_ids.values()):
        return {id: id for id in dataset_ids.values()}

    pointers = _load_chains(cursor, list(dataset_ids.values()))
    links = []
    for key in sorted(batch.aliases):
        alias = dataset_ids[key]
        target = dataset_ids[batch.aliases[key][1]]
        if pointers.get(alias) is not None:
            continue
        if _resolve(target, pointers) == alias:
            logger.warning(
                "Ignored symlink of dataset %s to %s: it would close a cycle",
                alias,
                target,
            )
            continue
        pointers[alias] = target
        links.append((alias, target))

    if links:
        moves = sorted((alias, _resolve(alias, pointers)) for alias, _ in links)
        aliases = [alias for alias, _ in moves]
        params = records(MOVE_COLUMNS, moves)
        execute_statements(
            cursor,
            [
                (CANONICAL_UPDATE, [*records(CANONICAL_COLUMNS, links), aliases]),
                (EDGES_MOVE, [*params, aliases]),
                (RUN_DATASETS_MOVE, [*params, aliases]),
                (COLUMN_EDGES_MOVE, [*params, aliases, aliases]),
            ],
        )
    return {id: _resolve(id, pointers) for id in dataset_ids.values()}


def _load_chains(cursor, ids: list[int]) -> dict[int, int | None]:
    cursor.execute(CHAINS_SELECT, [ids, MAX_CHAIN_LENGTH])
    return dict(cursor.fetchall())


def _resolve(id: int, pointers: dict) -> int:
    seen = {id}
    while (canonical := pointers.get(id)) is not None and canonical not in seen:
        seen.add(canonical)
        id = canonical
    return id
