"""Upserts of what hangs off jobs, datasets and runs: schema versions, run
datasets, lineage edges, column lineage and facets.

Every merge keeps the least and greatest times, ORs the flags and takes values
from the latest eventTime with the JSON text as tie-break, so the result does not
depend on the order events arrive in or on how they were batched.
"""

from lineage.ingestion.batch import Batch, records, recordset
from lineage.ingestion.entities import upsert_returning

SCHEMA_COLUMNS = (
    "dataset_id bigint, fingerprint text, fields jsonb, first_seen timestamptz,"
    " last_seen timestamptz"
)
SCHEMA_VERSIONS_INPUT = f"""
WITH input AS (SELECT * FROM {recordset(SCHEMA_COLUMNS)})
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
CURRENT_SCHEMA_COLUMNS = (
    "dataset_id bigint, schema_version_id bigint, fingerprint text, seen timestamptz"
)
CURRENT_SCHEMA_UPDATE = f"""
UPDATE lineage_dataset d
SET current_schema_id = v.schema_version_id, current_schema_time = v.seen
FROM (
    SELECT DISTINCT ON (dataset_id) *
    FROM {recordset(CURRENT_SCHEMA_COLUMNS)}
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
RUN_DATASET_COLUMNS = (
    "run_id bigint, dataset_id bigint, direction text, schema_version_id bigint,"
    " facets jsonb, event_time timestamptz"
)

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
EDGE_COLUMNS = (
    "job_id bigint, dataset_id bigint, direction text, seen_in_runs boolean,"
    " declared boolean, first_seen_at timestamptz, last_seen_at timestamptz"
)

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
COLUMN_EDGE_COLUMNS = (
    "output_dataset_id bigint, output_field text, input_dataset_id bigint,"
    " input_field text, transformations jsonb, first_seen_at timestamptz,"
    " last_seen_at timestamptz"
)

FACET_COLUMNS = (
    "owner_id bigint, name text, payload jsonb, event_time timestamptz, valid boolean"
)
FACETS_UPSERT = f"""
INSERT INTO {{table}} AS f ({{owner}}, name, payload, event_time, valid)
SELECT DISTINCT ON (owner_id, name) owner_id, name, payload, event_time, valid
FROM {recordset(FACET_COLUMNS)}
ORDER BY owner_id, name, event_time DESC, payload::text DESC
ON CONFLICT ({{owner}}, (md5(name))) DO UPDATE SET
    payload = excluded.payload, event_time = excluded.event_time,
    valid = excluded.valid
WHERE (excluded.event_time, excluded.payload::text) > (f.event_time, f.payload::text)
"""


def upsert_schema_versions(cursor, batch: Batch, dataset_ids) -> dict:
    """Upsert schema versions, move each dataset's current schema forward, and
    return the version id per (dataset id, fingerprint)."""
    if not batch.schemas:
        return {}
    rows = sorted(
        (dataset_ids[key], fingerprint, *version)
        for (key, fingerprint), version in batch.schemas.items()
    )
    version_rows = upsert_returning(
        cursor,
        SCHEMA_VERSIONS_INPUT,
        SCHEMA_VERSIONS_UPSERT,
        SCHEMA_VERSIONS_SELECT,
        records(SCHEMA_COLUMNS, rows),
        expected=len(rows),
    )
    version_ids = {
        (dataset, fingerprint): id for id, dataset, fingerprint in version_rows
    }

    current = [
        (dataset, version_ids[(dataset, fingerprint)], fingerprint, last_seen)
        for dataset, fingerprint, _, _, last_seen in rows
    ]
    cursor.execute(CURRENT_SCHEMA_UPDATE, records(CURRENT_SCHEMA_COLUMNS, current))
    return version_ids


def upsert_run_datasets(cursor, batch, run_ids, dataset_ids, canonical, versions):
    rows = []
    for (run_id, key, direction), (facets, schema) in batch.run_datasets.items():
        dataset_id = dataset_ids[key]
        version = versions[(dataset_id, schema[1])] if schema else None
        for value in facets.values:
            rows.append(
                (
                    run_ids[run_id],
                    canonical[dataset_id],
                    direction,
                    version,
                    value,
                    facets.time,
                )
            )
    if rows:
        sql = RUN_DATASETS_INSERT.format(source=recordset(RUN_DATASET_COLUMNS))
        cursor.execute(sql + RUN_DATASETS_MERGE, records(RUN_DATASET_COLUMNS, rows))


def upsert_edges(cursor, batch, job_ids, dataset_ids, canonical) -> None:
    rows = [
        (job_ids[job], canonical[dataset_ids[key]], direction, *edge)
        for (job, key, direction), edge in batch.edges.items()
    ]
    if rows:
        sql = EDGES_INSERT.format(source=recordset(EDGE_COLUMNS))
        cursor.execute(sql, records(EDGE_COLUMNS, rows))


def upsert_column_edges(cursor, batch, dataset_ids, canonical) -> None:
    rows = []
    for key, edge in batch.column_edges.items():
        output, output_field, source, input_field = key
        output_id = canonical[dataset_ids[output]]
        input_id = canonical[dataset_ids[source]]
        for transformations in edge.values:
            rows.append(
                (
                    output_id,
                    output_field,
                    input_id,
                    input_field,
                    transformations,
                    edge.first,
                    edge.time,
                )
            )
    if rows:
        sql = COLUMN_EDGES_INSERT.format(source=recordset(COLUMN_EDGE_COLUMNS))
        cursor.execute(sql, records(COLUMN_EDGE_COLUMNS, rows))


def upsert_facets(cursor, batch, job_ids, run_ids, dataset_ids) -> None:
    for table, owner, facets, ids in (
        ("lineage_jobfacet", "job_id", batch.job_facets, job_ids),
        ("lineage_runfacet", "run_id", batch.run_facets, run_ids),
        ("lineage_datasetfacet", "dataset_id", batch.dataset_facets, dataset_ids),
    ):
        rows = [
            (ids[owner_key], name, payload, facet.time, valid)
            for (owner_key, name), facet in facets.items()
            for payload, valid in facet.values
        ]
        if rows:
            sql = FACETS_UPSERT.format(table=table, owner=owner)
            cursor.execute(sql, records(FACET_COLUMNS, rows))
