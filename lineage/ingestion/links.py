"""Upserts of what hangs off jobs, datasets and runs: schema versions, run
datasets, lineage edges, column lineage and facets.

Every merge keeps the least and greatest times, ORs the flags and takes values
from the latest eventTime, with the JSON text as tie-break. So the result does
not depend on the order events arrive in, or on how they were batched.
"""

from lineage.ingestion.batch import Batch, records, recordset

SCHEMA_COLUMNS = (
    "dataset_id bigint, fingerprint text, fields json, first_seen timestamptz,"
    " last_seen timestamptz"
)
SCHEMA_VERSIONS_UPSERT = f"""
INSERT INTO lineage_schemaversion AS s (
    dataset_id, fingerprint, fields, first_seen_at, last_seen_at
)
SELECT * FROM {recordset(SCHEMA_COLUMNS)} ORDER BY dataset_id, fingerprint
ON CONFLICT (dataset_id, fingerprint) DO UPDATE SET
    first_seen_at = LEAST(s.first_seen_at, excluded.first_seen_at),
    last_seen_at = GREATEST(s.last_seen_at, excluded.last_seen_at)
WHERE excluded.first_seen_at < s.first_seen_at
    OR excluded.last_seen_at > s.last_seen_at
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
# The schema version belongs to the dataset as named, which is not the
# canonical dataset the row is recorded on when the name is an alias.
RUN_DATASET_COLUMNS = (
    "run_uuid uuid, dataset_id bigint, direction text, schema_dataset_id bigint,"
    " fingerprint text, facets json, event_time timestamptz"
)
RUN_DATASETS_SOURCE = f"""(
    SELECT
        (SELECT r.id FROM lineage_run r WHERE r.run_id = t.run_uuid) AS run_id,
        t.dataset_id, t.direction,
        (
            SELECT s.id FROM lineage_schemaversion s
            WHERE s.dataset_id = t.schema_dataset_id
                AND s.fingerprint = t.fingerprint
        ) AS schema_version_id,
        t.facets, t.event_time
    FROM {recordset(RUN_DATASET_COLUMNS)}
) AS source"""

# TODO: edges are never removed, so a job that stops reading or writing a
# dataset keeps the edge. Ageing out edges by last_seen_at is not built yet.
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
    " input_field text, transformations json, first_seen_at timestamptz,"
    " last_seen_at timestamptz"
)

FACET_COLUMNS = (
    "owner_id bigint, name text, payload json, event_time timestamptz, valid boolean"
)
RUN_FACET_COLUMNS = (
    "run_uuid uuid, name text, payload json, event_time timestamptz, valid boolean"
)
RUN_FACETS_SOURCE = f"""(
    SELECT
        (SELECT r.id FROM lineage_run r WHERE r.run_id = t.run_uuid) AS owner_id,
        t.name, t.payload, t.event_time, t.valid
    FROM {recordset(RUN_FACET_COLUMNS)}
) AS t"""
FACETS_UPSERT = """
INSERT INTO {table} AS f ({owner}, name, payload, event_time, valid)
SELECT DISTINCT ON (owner_id, name) owner_id, name, payload, event_time, valid
FROM {source}
ORDER BY owner_id, name, event_time DESC, payload::text DESC
ON CONFLICT ({owner}, (md5(name))) DO UPDATE SET
    payload = excluded.payload, event_time = excluded.event_time,
    valid = excluded.valid
WHERE (excluded.event_time, excluded.payload::text) > (f.event_time, f.payload::text)
"""


def schema_statements(batch: Batch, dataset_ids) -> list[tuple]:
    """Upsert schema versions. Each dataset's current schema moves with its
    times, in `entities.name_time_statements`."""
    if not batch.schemas:
        return []
    rows = sorted(
        (dataset_ids[key], fingerprint, *version)
        for (key, fingerprint), version in batch.schemas.items()
    )
    return [(SCHEMA_VERSIONS_UPSERT, records(SCHEMA_COLUMNS, rows))]


def run_dataset_statements(batch: Batch, dataset_ids, canonical) -> list[tuple]:
    rows = []
    for (run_id, key, direction), (facets, schema) in batch.run_datasets.items():
        dataset_id = dataset_ids[key]
        fingerprint = schema[1] if schema else None
        for value in facets.values:
            rows.append(
                (
                    run_id,
                    canonical[dataset_id],
                    direction,
                    dataset_id,
                    fingerprint,
                    value,
                    facets.time,
                )
            )
    if not rows:
        return []
    sql = RUN_DATASETS_INSERT.format(source=RUN_DATASETS_SOURCE) + RUN_DATASETS_MERGE
    return [(sql, records(RUN_DATASET_COLUMNS, rows))]


def edge_statements(batch: Batch, job_ids, dataset_ids, canonical) -> list[tuple]:
    rows = [
        (job_ids[job], canonical[dataset_ids[key]], direction, *edge)
        for (job, key, direction), edge in batch.edges.items()
    ]
    if not rows:
        return []
    sql = EDGES_INSERT.format(source=recordset(EDGE_COLUMNS))
    return [(sql, records(EDGE_COLUMNS, rows))]


def column_edge_statements(batch: Batch, dataset_ids, canonical) -> list[tuple]:
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
    if not rows:
        return []
    sql = COLUMN_EDGES_INSERT.format(source=recordset(COLUMN_EDGE_COLUMNS))
    return [(sql, records(COLUMN_EDGE_COLUMNS, rows))]


def facet_statements(batch: Batch, job_ids, dataset_ids) -> list[tuple]:
    statements = []
    by_id = recordset(FACET_COLUMNS)
    for table, owner, facets, ids, columns, source in (
        ("lineage_jobfacet", "job_id", batch.job_facets, job_ids, FACET_COLUMNS, by_id),
        (
            "lineage_runfacet",
            "run_id",
            batch.run_facets,
            None,
            RUN_FACET_COLUMNS,
            RUN_FACETS_SOURCE,
        ),
        (
            "lineage_datasetfacet",
            "dataset_id",
            batch.dataset_facets,
            dataset_ids,
            FACET_COLUMNS,
            by_id,
        ),
    ):
        rows = [
            (ids[key] if ids else key, name, payload, facet.time, valid)
            for (key, name), facet in facets.items()
            for payload, valid in facet.values
        ]
        if rows:
            sql = FACETS_UPSERT.format(table=table, owner=owner, source=source)
            statements.append((sql, records(columns, rows)))
    return statements
