"""Upserts of what hangs off jobs, datasets and runs: schema versions, run
datasets, lineage edges, column lineage and facets.

Every merge keeps the least and greatest times, ORs the flags and takes values
from the latest eventTime with the JSON text as tie-break, so the result does not
depend on the order events arrive in or on how they were batched.
"""

from lineage.ingestion.batch import Batch, columns
from lineage.ingestion.entities import upsert_returning

SCHEMA_VERSIONS_INPUT = """
WITH input AS (
    SELECT dataset_id, fingerprint, min(fields)::jsonb AS fields,
        min(seen) AS first_seen, max(seen) AS last_seen
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[])
        AS t(dataset_id, fingerprint, fields, seen)
    GROUP BY dataset_id, fingerprint
)
"""
SCHEMA_VERSIONS_UPSERT = """,
upserted AS (
    INSERT INTO lineage_schemaversion AS s (
        dataset_id, fingerprint, fields, first_seen_at, last_seen_at
    )
    SELECT * FROM input ORDER BY dataset_id, fingerprint
    ON CONFLICT (dataset_id, fingerprint) DO UPDATE SET
        first_seen_at = LEAST(s.first_seen_at, excluded.first_seen_at),
        last_seen_at = GREATEST(s.last_seen_at, excluded.last_seen_at)
    WHERE excluded.first_seen_at < s.first_seen_at
        OR excluded.last_seen_at > s.last_seen_at
    RETURNING s.id, s.dataset_id, s.fingerprint
)
SELECT id, dataset_id, fingerprint FROM upserted
UNION ALL
"""
SCHEMA_VERSIONS_SELECT = """
SELECT s.id, s.dataset_id, s.fingerprint
FROM input JOIN lineage_schemaversion s USING (dataset_id, fingerprint)
"""

# The schema with the latest eventTime becomes current; the fingerprint breaks a
# tie between two schemas sent at the same time.
CURRENT_SCHEMA_UPDATE = """
UPDATE lineage_dataset d
SET current_schema_id = v.schema_version_id, current_schema_time = v.seen
FROM (
    SELECT DISTINCT ON (dataset_id) *
    FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::timestamptz[])
        AS t(dataset_id, schema_version_id, fingerprint, seen)
    ORDER BY dataset_id, seen DESC, fingerprint DESC
) v
WHERE d.id = v.dataset_id AND (
    d.current_schema_time IS NULL
    OR (v.seen, v.fingerprint) > (
        d.current_schema_time,
        (SELECT s.fingerprint FROM lineage_schemaversion s
         WHERE s.id = d.current_schema_id)
    )
)
"""

RUN_DATASET_NEWER = (
    "(excluded.event_time, excluded.facets::text) > (rd.event_time, rd.facets::text)"
)
# The latest event's inputFacets or outputFacets win. The schema version comes
# from the latest event that sent a schema, so a COMPLETE without one keeps the
# START's.
RUN_DATASETS_MERGE = f"""
ON CONFLICT (run_id, dataset_id, direction) DO UPDATE SET
    facets = CASE WHEN {RUN_DATASET_NEWER} THEN excluded.facets ELSE rd.facets END,
    schema_version_id = CASE WHEN {RUN_DATASET_NEWER}
        THEN COALESCE(excluded.schema_version_id, rd.schema_version_id)
        ELSE COALESCE(rd.schema_version_id, excluded.schema_version_id) END,
    event_time = GREATEST(rd.event_time, excluded.event_time)
WHERE {RUN_DATASET_NEWER}
    OR (rd.schema_version_id IS NULL AND excluded.schema_version_id IS NOT NULL)
"""
RUN_DATASETS_INSERT = """
INSERT INTO lineage_rundataset AS rd (
    run_id, dataset_id, direction, schema_version_id, facets, event_time
)
SELECT run_id, dataset_id, direction,
    (array_agg(schema_version_id ORDER BY event_time DESC, schema_version_id)
        FILTER (WHERE schema_version_id IS NOT NULL))[1],
    (array_agg(facets ORDER BY event_time DESC, facets::text DESC))[1],
    max(event_time)
FROM {source}
GROUP BY run_id, dataset_id, direction
ORDER BY run_id, dataset_id, direction
"""
RUN_DATASETS_SOURCE = """(
    SELECT run_id, dataset_id, direction, schema_version_id, facets::jsonb AS facets,
        event_time
    FROM unnest(
        %s::bigint[], %s::bigint[], %s::text[], %s::bigint[], %s::text[],
        %s::timestamptz[]
    ) AS t(run_id, dataset_id, direction, schema_version_id, facets, event_time)
) AS source"""

EDGES_INSERT = """
INSERT INTO lineage_lineageedge AS e (
    job_id, dataset_id, direction, seen_in_runs, declared, first_seen_at,
    last_seen_at
)
SELECT job_id, dataset_id, direction, bool_or(seen_in_runs), bool_or(declared),
    min(first_seen_at), max(last_seen_at)
FROM {source}
GROUP BY job_id, dataset_id, direction
ORDER BY job_id, dataset_id, direction
ON CONFLICT (job_id, dataset_id, direction) DO UPDATE SET
    seen_in_runs = e.seen_in_runs OR excluded.seen_in_runs,
    declared = e.declared OR excluded.declared,
    first_seen_at = LEAST(e.first_seen_at, excluded.first_seen_at),
    last_seen_at = GREATEST(e.last_seen_at, excluded.last_seen_at)
WHERE (excluded.seen_in_runs AND NOT e.seen_in_runs)
    OR (excluded.declared AND NOT e.declared)
    OR excluded.first_seen_at < e.first_seen_at
    OR excluded.last_seen_at > e.last_seen_at
"""
EDGES_SOURCE = """unnest(
    %s::bigint[], %s::bigint[], %s::text[], %s::bool[], %s::bool[],
    %s::timestamptz[], %s::timestamptz[]
) AS t(job_id, dataset_id, direction, seen_in_runs, declared, first_seen_at,
    last_seen_at)"""

COLUMN_EDGE_NEWER = (
    "(excluded.last_seen_at, excluded.transformations::text)"
    " > (c.last_seen_at, c.transformations::text)"
)
COLUMN_EDGES_INSERT = f"""
INSERT INTO lineage_columnlineageedge AS c (
    output_dataset_id, output_field, input_dataset_id, input_field,
    transformations, first_seen_at, last_seen_at
)
SELECT output_dataset_id, output_field, input_dataset_id, input_field,
    (array_agg(transformations
        ORDER BY last_seen_at DESC, transformations::text DESC))[1],
    min(first_seen_at), max(last_seen_at)
FROM {{source}}
GROUP BY output_dataset_id, output_field, input_dataset_id, input_field
ORDER BY output_dataset_id, output_field, input_dataset_id, input_field
ON CONFLICT (
    output_dataset_id, (md5(output_field)), input_dataset_id, (md5(input_field))
) DO UPDATE SET
    transformations = CASE WHEN {COLUMN_EDGE_NEWER}
        THEN excluded.transformations ELSE c.transformations END,
    first_seen_at = LEAST(c.first_seen_at, excluded.first_seen_at),
    last_seen_at = GREATEST(c.last_seen_at, excluded.last_seen_at)
WHERE excluded.first_seen_at < c.first_seen_at OR {COLUMN_EDGE_NEWER}
"""
COLUMN_EDGES_SOURCE = """(
    SELECT output_dataset_id, output_field, input_dataset_id, input_field,
        transformations::jsonb AS transformations, seen AS first_seen_at,
        seen AS last_seen_at
    FROM unnest(
        %s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[],
        %s::timestamptz[]
    ) AS t(output_dataset_id, output_field, input_dataset_id, input_field,
        transformations, seen)
) AS source"""

FACETS_UPSERT = """
INSERT INTO {table} AS f ({owner}, name, payload, event_time, valid)
SELECT DISTINCT ON (owner_id, name) owner_id, name, payload::jsonb, event_time, valid
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::bool[])
    AS t(owner_id, name, payload, event_time, valid)
ORDER BY owner_id, name, event_time DESC, payload::jsonb::text DESC
ON CONFLICT ({owner}, (md5(name))) DO UPDATE SET
    payload = excluded.payload, event_time = excluded.event_time,
    valid = excluded.valid
WHERE (excluded.event_time, excluded.payload::text) > (f.event_time, f.payload::text)
"""


def upsert_schema_versions(cursor, batch: Batch, dataset_ids) -> dict:
    """Upsert schema versions, move each dataset's current schema forward, and
    return the version id per (dataset id, fingerprint)."""
    if not batch.schemas:
        return {}
    rows = [
        (dataset_ids[key], fingerprint, fields, time)
        for key, fingerprint, fields, time in batch.schemas
    ]
    expected = len({(row[0], row[1]) for row in rows})
    version_rows = upsert_returning(
        cursor,
        SCHEMA_VERSIONS_INPUT,
        SCHEMA_VERSIONS_UPSERT,
        SCHEMA_VERSIONS_SELECT,
        columns(rows),
        expected=expected,
    )
    version_ids = {
        (dataset, fingerprint): id for id, dataset, fingerprint in version_rows
    }

    current = sorted(
        (dataset, version_ids[(dataset, fingerprint)], fingerprint, time)
        for dataset, fingerprint, _, time in rows
    )
    cursor.execute(CURRENT_SCHEMA_UPDATE, columns(current))
    return version_ids


def upsert_run_datasets(cursor, batch, run_ids, dataset_ids, canonical, versions):
    rows = []
    for run_id, key, direction, facets, time, fingerprint in batch.run_datasets:
        dataset_id = dataset_ids[key]
        version = versions.get((dataset_id, fingerprint)) if fingerprint else None
        rows.append(
            (run_ids[run_id], canonical[dataset_id], direction, version, facets, time)
        )
    if rows:
        sql = RUN_DATASETS_INSERT.format(source=RUN_DATASETS_SOURCE)
        cursor.execute(sql + RUN_DATASETS_MERGE, columns(rows))


def upsert_edges(cursor, batch, job_ids, dataset_ids, canonical) -> None:
    rows = [
        (
            job_ids[job],
            canonical[dataset_ids[key]],
            direction,
            seen_in_runs,
            declared,
            time,
            time,
        )
        for job, key, direction, seen_in_runs, declared, time in batch.edges
    ]
    if rows:
        cursor.execute(EDGES_INSERT.format(source=EDGES_SOURCE), columns(rows))


def upsert_column_edges(cursor, batch, dataset_ids, canonical) -> None:
    rows = [
        (
            canonical[dataset_ids[output]],
            output_field,
            canonical[dataset_ids[source]],
            input_field,
            transformations,
            time,
        )
        for output, output_field, source, input_field, transformations, time in (
            batch.column_edges
        )
    ]
    if rows:
        sql = COLUMN_EDGES_INSERT.format(source=COLUMN_EDGES_SOURCE)
        cursor.execute(sql, columns(rows))


def upsert_facets(cursor, batch, job_ids, run_ids, dataset_ids) -> None:
    for table, owner, rows, ids in (
        ("lineage_jobfacet", "job_id", batch.job_facets, job_ids),
        ("lineage_runfacet", "run_id", batch.run_facets, run_ids),
        ("lineage_datasetfacet", "dataset_id", batch.dataset_facets, dataset_ids),
    ):
        if rows:
            rows = [(ids[key], *rest) for key, *rest in rows]
            sql = FACETS_UPSERT.format(table=table, owner=owner)
            cursor.execute(sql, columns(rows))
