"""Flatten parsed events into the rows that derivation upserts, one list per table.

Rows still name namespaces, jobs and datasets by their natural keys, which the
upserts turn into ids. Runs are folded here, one row per runId, because their
columns combine several events (state ranking, least and greatest times).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from uuid import UUID

import orjson
import psycopg

from lineage.ingestion.events import ParsedDataset, ParsedEvent

# Higher rank wins the run's state whatever the arrival order. Among equal ranks
# the later eventTime wins. OTHER and an absent eventType rank lowest.
STATE_RANK = {"COMPLETE": 2, "FAIL": 2, "ABORT": 2, "START": 1, "RUNNING": 1}

JobKey = tuple[str, str]
DatasetKey = tuple[str, str]


def state_rank(state: str) -> int:
    return STATE_RANK.get(state, 0)


def dumps(value) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


JSON_TYPES = ("json", "jsonb")


def recordset(spec: str, alias: str = "t") -> str:
    """SQL reading the parameters from `records` as rows of the columns in `spec`
    ("name type, ...").

    A batch travels as JSON text, which is much cheaper than one array parameter
    per column: psycopg quotes every array element on the client. Scalars come
    as one array of row arrays. Each JSON column gets its own array, joined by
    position, because every `->` on a `json` value parses the whole row again.
    """
    select = []
    joins = []
    position = 0
    for name, type in _columns(spec):
        if type in JSON_TYPES:
            source = f"j{len(joins)}"
            joins.append(
                f" JOIN json_array_elements(%s::json) WITH ORDINALITY"
                f" AS {source}(value, i) USING (i)"
            )
            select.append(f"{source}.value::{type} AS {name}")
        else:
            select.append(f"(r.value->>{position})::{type} AS {name}")
            position += 1
    return (
        f"(SELECT {', '.join(select)}"
        f" FROM json_array_elements(%s::json) WITH ORDINALITY AS r(value, i)"
        f"{''.join(joins)}) AS {alias}"
    )


def records(spec: str, rows) -> list[str]:
    """Serialise rows (tuples in the column order of `spec`) as the parameters
    of `recordset(spec)`."""
    types = [type for _, type in _columns(spec)]
    json_columns = [index for index, type in enumerate(types) if type in JSON_TYPES]
    if not json_columns:
        return [orjson.dumps(rows).decode()]
    # Every spec has at least two scalar columns, so itemgetter returns tuples.
    scalar = itemgetter(
        *(index for index, type in enumerate(types) if type not in JSON_TYPES)
    )
    params = [orjson.dumps([scalar(row) for row in rows]).decode()]
    for index in json_columns:
        params.append(orjson.dumps([row[index] for row in rows]).decode())
    return params


def execute_statements(cursor, statements: list[tuple[str, list]]) -> list[list]:
    """Run statements in order in one round trip and return each one's rows.

    The statements go through psycopg's pipeline mode as prepared statements on
    the connection of Django's `cursor`, inside its transaction. Each one is
    planned once per connection instead of once per batch, and planning was
    most of the cost of storing a single event.
    """
    if not statements:
        return []
    raw_connection = cursor.cursor.connection
    cursors = [psycopg.Cursor(raw_connection) for _ in statements]
    # Django's wrapper turns psycopg's errors into django.db's, as its own
    # cursors do, so callers catch OperationalError and IntegrityError as usual.
    with cursor.db.wrap_database_errors:
        with raw_connection.pipeline():
            for raw_cursor, (sql, params) in zip(cursors, statements, strict=True):
                raw_cursor.execute(sql, params, prepare=True)
        results = [
            raw_cursor.fetchall() if raw_cursor.description else []
            for raw_cursor in cursors
        ]
    for raw_cursor in cursors:
        raw_cursor.close()
    return results


def _columns(spec: str) -> list[tuple[str, str]]:
    return [tuple(column.split()) for column in spec.split(",")]


def schema_fingerprint(fields_json: str) -> str:
    """SHA-256 of the schema fields serialised with sorted keys."""
    return hashlib.sha256(fields_json.encode()).hexdigest()


class Latest:
    """The values seen at the latest eventTime, and the earliest eventTime.

    Values that tie on the latest time are all kept, so the database picks
    among them with the same tie-break it applies across batches.
    """

    __slots__ = ("first", "time", "values")

    def __init__(self, time: datetime):
        self.first = time
        self.time = time
        self.values: list = []

    def add(self, time: datetime, value) -> None:
        if time > self.time:
            self.time, self.values = time, [value]
        elif time == self.time:
            self.values.append(value)
        self.first = min(self.first, time)


@dataclass
class RunRow:
    run_id: UUID
    job: JobKey
    state: str
    state_time: datetime
    first_event_time: datetime
    started_at: datetime | None = None
    nominal_start_time: datetime | None = None
    nominal_end_time: datetime | None = None
    parent_run_id: UUID | None = None
    parent_time: datetime | None = None

    def add(self, event: ParsedEvent) -> None:
        time = event.event_time
        new_state = (state_rank(event.run_state), time, event.run_state)
        if new_state > (state_rank(self.state), self.state_time, self.state):
            self.state, self.state_time = event.run_state, time
            self.job = (event.job_namespace, event.job_name)
        self.first_event_time = min(self.first_event_time, time)
        if event.run_state == "START":
            self.started_at = _least(self.started_at, time)
        self.nominal_start_time = _least(
            self.nominal_start_time, event.nominal_start_time
        )
        self.nominal_end_time = _greatest(self.nominal_end_time, event.nominal_end_time)
        parent = event.parent
        if (
            parent
            and parent.run_id
            and (self.parent_time is None or time < self.parent_time)
        ):
            self.parent_run_id, self.parent_time = parent.run_id, time


@dataclass
class Batch:
    namespaces: dict[str, datetime] = field(default_factory=dict)
    # Job key -> (first seen, last eventTime).
    jobs: dict[JobKey, list[datetime]] = field(default_factory=dict)
    # Child job -> (eventTime, parent job), the earliest event naming one.
    job_parents: dict[JobKey, tuple[datetime, JobKey]] = field(default_factory=dict)
    datasets: dict[DatasetKey, list[datetime]] = field(default_factory=dict)
    # Dataset -> (eventTime, canonical identifier) from its symlinks facet.
    aliases: dict[DatasetKey, tuple[datetime, DatasetKey]] = field(default_factory=dict)
    runs: dict[UUID, RunRow] = field(default_factory=dict)
    # Parent run id -> its job, for stub runs.
    parent_runs: dict[UUID, JobKey] = field(default_factory=dict)
    # (run id, dataset, direction)
    #   -> [Latest(eventTime, io facets), (eventTime, fingerprint) of the
    #       latest schema written, or None]
    run_datasets: dict[tuple, list] = field(default_factory=dict)
    # (job, dataset, direction) -> [seen in a run, declared, first, last seen]
    edges: dict[tuple, list] = field(default_factory=dict)
    # (dataset, fingerprint) -> [fields, first seen, last seen]
    schemas: dict[tuple, list] = field(default_factory=dict)
    # (output dataset, output field, input dataset, input field)
    #   -> Latest(first seen, transformations)
    column_edges: dict[tuple, "Latest"] = field(default_factory=dict)
    # (owner key, facet name) -> Latest(eventTime, (payload, valid))
    job_facets: dict[tuple, "Latest"] = field(default_factory=dict)
    run_facets: dict[tuple, "Latest"] = field(default_factory=dict)
    dataset_facets: dict[tuple, "Latest"] = field(default_factory=dict)

    def add(self, event: ParsedEvent) -> None:
        time = event.event_time
        job = None
        if event.job_namespace is not None and event.job_name is not None:
            job = (event.job_namespace, event.job_name)
            self._see_job(job, time)
            self._add_facets(
                self.job_facets, job, event.job_facets, event.invalid_job_facets, time
            )

        if event.event_type == "RunEvent":
            self._add_run(event, job)
        in_run = event.event_type == "RunEvent"
        for direction, datasets in (("input", event.inputs), ("output", event.outputs)):
            for dataset in datasets:
                key = self._add_dataset(dataset, time)
                fingerprint = self._add_schema(key, dataset, time)
                if job is not None:
                    self._add_edge((job, key, direction), in_run, time)
                if in_run:
                    written = fingerprint if direction == "output" else None
                    self._add_run_dataset(
                        (event.run_id, key, direction), dataset, time, written
                    )
        if event.event_type == "DatasetEvent" and event.dataset is not None:
            key = self._add_dataset(event.dataset, time)
            self._add_schema(key, event.dataset, time)

    def _add_run_dataset(self, key, dataset, time, fingerprint) -> None:
        run_dataset = self.run_datasets.get(key)
        if run_dataset is None:
            self.run_datasets[key] = run_dataset = [Latest(time), None]
        run_dataset[0].add(time, dataset.io_facets)
        if fingerprint is not None:
            schema = (time, fingerprint)
            if run_dataset[1] is None or schema > run_dataset[1]:
                run_dataset[1] = schema

    def _add_edge(self, key: tuple, in_run: bool, time: datetime) -> None:
        edge = self.edges.get(key)
        if edge is None:
            self.edges[key] = [in_run, not in_run, time, time]
            return
        edge[0] = edge[0] or in_run
        edge[1] = edge[1] or not in_run
        edge[2] = min(edge[2], time)
        edge[3] = max(edge[3], time)

    def _see_namespace(self, name: str, time: datetime) -> None:
        seen = self.namespaces.get(name)
        if seen is None or time < seen:
            self.namespaces[name] = time

    def _see_job(self, job: JobKey, time: datetime) -> None:
        self._see_namespace(job[0], time)
        _see(self.jobs, job, time)

    def _see_dataset(self, key: DatasetKey, time: datetime) -> None:
        self._see_namespace(key[0], time)
        _see(self.datasets, key, time)

    def _add_run(self, event: ParsedEvent, job: JobKey) -> None:
        time = event.event_time
        run = self.runs.get(event.run_id)
        if run is None:
            self.runs[event.run_id] = run = RunRow(
                run_id=event.run_id,
                job=job,
                state="",
                state_time=datetime.min.replace(tzinfo=time.tzinfo),
                first_event_time=time,
            )
        run.add(event)
        self._add_facets(
            self.run_facets,
            event.run_id,
            event.run_facets,
            event.invalid_run_facets,
            time,
        )

        parent = event.parent
        if parent is None:
            return
        parent_job = (parent.job_namespace, parent.job_name)
        self._see_job(parent_job, time)
        if parent_job != job:
            known = self.job_parents.get(job)
            if known is None or (time, parent_job) < known:
                self.job_parents[job] = (time, parent_job)
        if parent.run_id is not None and parent.run_id != event.run_id:
            self.parent_runs.setdefault(parent.run_id, parent_job)

    def _add_dataset(self, dataset: ParsedDataset, time: datetime) -> DatasetKey:
        key = (dataset.namespace, dataset.name)
        self._see_dataset(key, time)
        self._add_facets(
            self.dataset_facets, key, dataset.facets, dataset.invalid_facets, time
        )

        if dataset.symlinks:
            tables = [i for i in dataset.symlinks if i.type.upper() == "TABLE"]
            target = (tables or list(dataset.symlinks))[0]
            target_key = (target.namespace, target.name)
            if target_key != key:
                self._see_dataset(target_key, time)
                known = self.aliases.get(key)
                if known is None or (time, target_key) < known:
                    self.aliases[key] = (time, target_key)

        for output_field, inputs in (dataset.column_lineage or {}).items():
            for source in inputs:
                source_key = (source.namespace, source.name)
                self._see_dataset(source_key, time)
                edge_key = (key, output_field, source_key, source.field)
                edge = self.column_edges.get(edge_key)
                if edge is None:
                    self.column_edges[edge_key] = edge = Latest(time)
                edge.add(time, list(source.transformations))
        return key

    def _add_schema(
        self, key: DatasetKey, dataset: ParsedDataset, time: datetime
    ) -> str | None:
        if dataset.schema_fields is None:
            return None
        fingerprint = schema_fingerprint(dumps(dataset.schema_fields))
        version = self.schemas.get((key, fingerprint))
        if version is None:
            self.schemas[(key, fingerprint)] = [dataset.schema_fields, time, time]
        else:
            version[1] = min(version[1], time)
            version[2] = max(version[2], time)
        return fingerprint

    @staticmethod
    def _add_facets(latest: dict, owner, facets, invalid, time) -> None:
        for name, payload in facets.items():
            facet = latest.get((owner, name))
            if facet is None:
                latest[(owner, name)] = facet = Latest(time)
            facet.add(time, (payload, name not in invalid))


def collect(events: list[ParsedEvent]) -> Batch:
    batch = Batch()
    for event in events:
        batch.add(event)
    return batch


def _see(seen: dict, key, time: datetime) -> None:
    times = seen.get(key)
    if times is None:
        seen[key] = [time, time]
    elif time < times[0]:
        times[0] = time
    elif time > times[1]:
        times[1] = time


def _least(current, new):
    if new is None:
        return current
    return new if current is None or new < current else current


def _greatest(current, new):
    if new is None:
        return current
    return new if current is None or new > current else current
