"""Upserts of namespaces, jobs, datasets and runs: the rows others point at.

Each statement takes a whole batch as one JSON parameter. Namespaces, jobs and
datasets go in one round trip that inserts the new ones and returns the ids of
every row they name, inserted or not. Later statements find runs by runId
themselves. Rows are fed in key order, so concurrent batches lock them in the
same order, and `store_events` retries a batch that deadlocks all the same.

The first round trip locks no name that already exists. The times of those
names move in the last statements of the batch instead, because every batch of
a busy producer moves the times of shared rows, such as its namespaces or a
dimension table that many jobs read. A lock taken early on such a row is held
through the rest of the transaction, so a concurrent batch would wait for all
of it.
"""

from lineage.ingestion.batch import (
    Batch,
    DatasetKey,
    JobKey,
    records,
    recordset,
)

# A CTE `input` of the batch, the insert, then the ids of rows that existed. A
# row that a concurrent transaction committed while this statement waited is in
# neither part, because the statement's snapshot predates it, so callers look
# those up again.
NAMESPACE_COLUMNS = "name text, seen timestamptz"
NAMESPACES_INPUT = f"""
WITH input AS (SELECT * FROM {recordset(NAMESPACE_COLUMNS)})
"""
NAMESPACES_INSERT = """,
inserted AS (
    INSERT INTO lineage_namespace AS n (name, first_seen_at)
    SELECT name, seen FROM input ORDER BY name
    ON CONFLICT ((md5(name))) DO NOTHING
    RETURNING n.id, n.name
)
SELECT id, name FROM inserted
UNION ALL
"""
# The lookups below are LATERAL subqueries and scalar subqueries rather than
# joins, because the planner guesses 100 rows for a JSON batch and would pick a
# sequential scan of a table that grows with history. LIMIT 1 (the keys are
# unique) keeps the planner from flattening a LATERAL subquery into that join.
NAMESPACES_SELECT = """
SELECT n.id, n.name FROM input JOIN LATERAL (
    SELECT id, name FROM lineage_namespace WHERE md5(name) = md5(input.name)
    LIMIT 1
) n ON true
"""

NAMED_COLUMNS = (
    "namespace text, name text, first_seen timestamptz, last_seen timestamptz"
)
# Runs after the namespaces' upsert in the same round trip, so it finds them.
JOBS_INPUT = f"""
WITH input AS (
    SELECT
        (SELECT n.id FROM lineage_namespace n WHERE md5(n.name) = md5(t.namespace))
            AS namespace_id,
        t.name, t.first_seen, t.last_seen
    FROM {recordset(NAMED_COLUMNS)}
)
"""
JOBS_INSERT = """,
inserted AS (
    INSERT INTO lineage_job AS j (namespace_id, name, first_seen_at, last_event_time)
    SELECT * FROM input ORDER BY namespace_id, name
    ON CONFLICT (namespace_id, (md5(name))) DO NOTHING
    RETURNING j.id, j.namespace_id, j.name
)
SELECT id, namespace_id, name FROM inserted
UNION ALL
"""
JOBS_SELECT = """
SELECT j.id, j.namespace_id, j.name FROM input JOIN LATERAL (
    SELECT id, namespace_id, name FROM lineage_job
    WHERE namespace_id = input.namespace_id AND md5(name) = md5(input.name)
    LIMIT 1
) j ON true
"""

DATASETS_INSERT = """,
inserted AS (
    INSERT INTO lineage_dataset AS d (
        namespace_id, name, first_seen_at, last_event_time
    )
    SELECT * FROM input ORDER BY namespace_id, name
    ON CONFLICT (namespace_id, (md5(name))) DO NOTHING
    RETURNING d.id, d.namespace_id, d.name, d.canonical_id
)
SELECT id, namespace_id, name, canonical_id FROM inserted
UNION ALL
"""
DATASETS_SELECT = """
SELECT d.id, d.namespace_id, d.name, d.canonical_id FROM input JOIN LATERAL (
    SELECT id, namespace_id, name, canonical_id FROM lineage_dataset
    WHERE namespace_id = input.namespace_id AND md5(name) = md5(input.name)
    LIMIT 1
) d ON true
"""

# A job's parent is set once: an event without a parent facet never clears it.
# NOTE: two events naming different parents keep whichever arrived first.
JOB_PARENT_COLUMNS = "id bigint, parent_id bigint"
JOB_PARENTS_UPDATE = f"""
UPDATE lineage_job j SET parent_id = t.parent_id
FROM {recordset(JOB_PARENT_COLUMNS)}
WHERE j.id = t.id AND j.id = ANY(%s::bigint[]) AND j.parent_id IS NULL
"""

# The times of names that existed before the batch, moved by the last statements
# of a batch. Only rows whose times change are updated, and so locked.
NAMESPACE_TIMES_COLUMNS = "id bigint, seen timestamptz"
NAMESPACE_TIMES_UPDATE = f"""
UPDATE lineage_namespace n SET first_seen_at = t.seen
FROM {recordset(NAMESPACE_TIMES_COLUMNS)}
WHERE n.id = t.id AND n.id = ANY(%s::bigint[]) AND t.seen < n.first_seen_at
"""
TIMES_COLUMNS = "id bigint, first_seen timestamptz, last_seen timestamptz"
JOB_TIMES_UPDATE = f"""
UPDATE lineage_job j SET
    first_seen_at = LEAST(j.first_seen_at, t.first_seen),
    last_event_time = GREATEST(j.last_event_time, t.last_seen)
FROM {recordset(TIMES_COLUMNS)}
WHERE j.id = t.id AND j.id = ANY(%s::bigint[])
    AND (t.first_seen < j.first_seen_at OR t.last_seen > j.last_event_time)
"""
# A dataset's times and its current schema move in one update, so that a batch
# writes the row once. The schema with the latest eventTime becomes current,
# and the fingerprint breaks a tie between two schemas sent at the same time.
# Its version was upserted earlier in the same round trip.
DATASET_TIMES_COLUMNS = (
    "id bigint, first_seen timestamptz, last_seen timestamptz, fingerprint text,"
    " schema_seen timestamptz"
)
NEWER_SCHEMA = """(t.fingerprint IS NOT NULL AND (
        d.current_schema_time IS NULL
        OR t.schema_seen > d.current_schema_time
        OR (t.schema_seen = d.current_schema_time AND t.fingerprint > (
            SELECT s.fingerprint FROM lineage_schemaversion s
            WHERE s.id = d.current_schema_id))))"""
DATASET_TIMES_UPDATE = f"""
UPDATE lineage_dataset d SET
    first_seen_at = LEAST(d.first_seen_at, t.first_seen),
    last_event_time = GREATEST(d.last_event_time, t.last_seen),
    current_schema_id = CASE WHEN {NEWER_SCHEMA}
        THEN t.schema_version_id ELSE d.current_schema_id END,
    current_schema_time = CASE WHEN {NEWER_SCHEMA}
        THEN t.schema_seen ELSE d.current_schema_time END
FROM (
    SELECT v.*, (
        SELECT s.id FROM lineage_schemaversion s
        WHERE s.dataset_id = v.id AND s.fingerprint = v.fingerprint
    ) AS schema_version_id
    FROM {recordset(DATASET_TIMES_COLUMNS, alias="v")}
) t
WHERE d.id = t.id AND d.id = ANY(%s::bigint[]) AND (
    t.first_seen < d.first_seen_at OR t.last_seen > d.last_event_time
    OR {NEWER_SCHEMA}
)
"""

RANK = (
    "CASE WHEN {0} IN ('COMPLETE', 'FAIL', 'ABORT') THEN 2"
    " WHEN {0} IN ('START', 'RUNNING') THEN 1 ELSE 0 END"
)

# A run named only as a parent gets a stub with the parent job and no state.
STUB_RUN_COLUMNS = "run_id uuid, job_id bigint"
STUB_RUNS_INSERT = f"""
INSERT INTO lineage_run (run_id, job_id, state)
SELECT run_id, job_id, '' FROM {recordset(STUB_RUN_COLUMNS)}
ORDER BY run_id
ON CONFLICT (run_id) DO NOTHING
"""

# The state with the higher (rank, eventTime, state) wins, so a COMPLETE that
# arrives before its START stays COMPLETE. ended_at follows a terminal winner.
NEWER_STATE = (
    f"({RANK.format('excluded.state')}, excluded.state_time, excluded.state)"
    f" > ({RANK.format('r.state')}, COALESCE(r.state_time, '-infinity'), r.state)"
)
RUN_COLUMNS = (
    "run_id uuid, job_id bigint, parent_run_id uuid, state text,"
    " state_time timestamptz, started_at timestamptz, nominal_start_time timestamptz,"
    " nominal_end_time timestamptz, first_event_time timestamptz"
)
RUNS_UPSERT = f"""
INSERT INTO lineage_run AS r (
    run_id, job_id, parent_id, state, state_time, started_at, ended_at,
    nominal_start_time, nominal_end_time, first_event_time
)
SELECT
    t.run_id, t.job_id,
    (SELECT parent.id FROM lineage_run parent WHERE parent.run_id = t.parent_run_id),
    t.state, t.state_time, t.started_at,
    CASE WHEN {RANK.format("t.state")} = 2 THEN t.state_time END,
    t.nominal_start_time, t.nominal_end_time, t.first_event_time
FROM {recordset(RUN_COLUMNS)}
ORDER BY t.run_id
ON CONFLICT (run_id) DO UPDATE SET
    job_id = CASE WHEN {NEWER_STATE} THEN excluded.job_id
        ELSE COALESCE(r.job_id, excluded.job_id) END,
    parent_id = COALESCE(r.parent_id, excluded.parent_id),
    state = CASE WHEN {NEWER_STATE} THEN excluded.state ELSE r.state END,
    state_time = CASE WHEN {NEWER_STATE} THEN excluded.state_time
        ELSE r.state_time END,
    ended_at = CASE WHEN {NEWER_STATE} THEN excluded.ended_at ELSE r.ended_at END,
    started_at = LEAST(r.started_at, excluded.started_at),
    nominal_start_time = LEAST(r.nominal_start_time, excluded.nominal_start_time),
    nominal_end_time = GREATEST(r.nominal_end_time, excluded.nominal_end_time),
    first_event_time = LEAST(r.first_event_time, excluded.first_event_time)
"""


def name_statements(batch: Batch) -> list[tuple]:
    """Build the upserts of namespaces, jobs and datasets, for `read_names`."""
    names = sorted(batch.namespaces)
    statements = [
        (
            NAMESPACES_INPUT + NAMESPACES_INSERT + NAMESPACES_SELECT,
            records(NAMESPACE_COLUMNS, [(n, batch.namespaces[n]) for n in names]),
        )
    ]
    if batch.jobs:
        statements.append(
            (JOBS_INPUT + JOBS_INSERT + JOBS_SELECT, _named_rows(batch.jobs))
        )
    if batch.datasets:
        statements.append(
            (
                JOBS_INPUT + DATASETS_INSERT + DATASETS_SELECT,
                _named_rows(batch.datasets),
            )
        )
    return statements


def read_names(
    cursor, batch: Batch, statements: list[tuple], results: list[list]
) -> tuple[
    dict[str, int], dict[JobKey, int], dict[DatasetKey, int], dict[int, int | None]
]:
    """Return the ids of the batch's namespaces, jobs and datasets by key, and
    each dataset's canonical id, from the results of `name_statements`."""
    namespace_rows = _complete(
        cursor,
        results[0],
        NAMESPACES_INPUT + NAMESPACES_SELECT,
        statements[0][1],
        len(batch.namespaces),
    )
    namespaces = {id: name for id, name in namespace_rows}
    job_ids = {}
    if batch.jobs:
        rows = _complete(
            cursor,
            results[1],
            JOBS_INPUT + JOBS_SELECT,
            statements[1][1],
            len(batch.jobs),
        )
        job_ids = {(namespaces[ns_id], name): id for id, ns_id, name in rows}
    dataset_ids = {}
    canonical_ids = {}
    if batch.datasets:
        rows = _complete(
            cursor,
            results[-1],
            JOBS_INPUT + DATASETS_SELECT,
            statements[-1][1],
            len(batch.datasets),
        )
        for id, ns_id, name, canonical_id in rows:
            dataset_ids[(namespaces[ns_id], name)] = id
            canonical_ids[id] = canonical_id
    namespace_ids = {name: id for id, name in namespaces.items()}
    return namespace_ids, job_ids, dataset_ids, canonical_ids


def name_time_statements(
    batch: Batch, namespace_ids, job_ids, dataset_ids
) -> list[tuple]:
    """Build the updates of the first and last times of the batch's names and of
    each dataset's current schema, which go last in a batch."""
    namespaces = sorted(
        (namespace_ids[n], seen) for n, seen in batch.namespaces.items()
    )
    statements = [
        (
            NAMESPACE_TIMES_UPDATE,
            [
                *records(NAMESPACE_TIMES_COLUMNS, namespaces),
                [id for id, _ in namespaces],
            ],
        )
    ]
    if batch.jobs:
        jobs = sorted((job_ids[key], *times) for key, times in batch.jobs.items())
        statements.append(
            (
                JOB_TIMES_UPDATE,
                [*records(TIMES_COLUMNS, jobs), [row[0] for row in jobs]],
            )
        )
    if batch.datasets:
        # The latest (time, fingerprint) of each dataset's schemas in the batch.
        schemas = {}
        for (key, fingerprint), (_, _, last_seen) in batch.schemas.items():
            schema = (last_seen, fingerprint)
            if key not in schemas or schema > schemas[key]:
                schemas[key] = schema
        datasets = sorted(
            (
                dataset_ids[key],
                *times,
                *(reversed(schemas[key]) if key in schemas else (None, None)),
            )
            for key, times in batch.datasets.items()
        )
        statements.append(
            (
                DATASET_TIMES_UPDATE,
                [
                    *records(DATASET_TIMES_COLUMNS, datasets),
                    [row[0] for row in datasets],
                ],
            )
        )
    return statements


def job_parent_statements(batch: Batch, job_ids) -> list[tuple]:
    parents = sorted(
        (job_ids[child], job_ids[parent])
        for child, (_, parent) in batch.job_parents.items()
    )
    if not parents:
        return []
    children = [child for child, _ in parents]
    params = [*records(JOB_PARENT_COLUMNS, parents), children]
    return [(JOB_PARENTS_UPDATE, params)]


def run_statements(batch: Batch, job_ids) -> list[tuple]:
    if not batch.runs:
        return []
    statements = []
    # Stubs go in first, also for parents whose own events are in this batch,
    # because the upsert below cannot see rows it inserts itself.
    stubs = sorted((run_id, job_ids[job]) for run_id, job in batch.parent_runs.items())
    if stubs:
        statements.append((STUB_RUNS_INSERT, records(STUB_RUN_COLUMNS, stubs)))

    runs = [batch.runs[run_id] for run_id in sorted(batch.runs)]
    rows = [
        (
            run.run_id,
            job_ids[run.job],
            run.parent_run_id,
            run.state,
            run.state_time,
            run.started_at,
            run.nominal_start_time,
            run.nominal_end_time,
            run.first_event_time,
        )
        for run in runs
    ]
    statements.append((RUNS_UPSERT, records(RUN_COLUMNS, rows)))
    return statements


def _named_rows(seen: dict) -> list[str]:
    rows = [
        (namespace, name, *seen[(namespace, name)]) for namespace, name in sorted(seen)
    ]
    return records(NAMED_COLUMNS, rows)


def _complete(cursor, rows, select_sql, params, expected: int) -> list[tuple]:
    """Return `rows`, or all rows again from `select_sql` if a key is missing.

    An upsert misses a row that a concurrent transaction committed while it
    waited, because the statement's snapshot predates that row.
    """
    if len({row[0] for row in rows}) < expected:
        cursor.execute(select_sql, params)
        rows = cursor.fetchall()
    return rows
