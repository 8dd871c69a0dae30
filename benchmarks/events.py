"""Distinct, realistic OpenLineage RunEvents from a generated Airflow estate.

The estate is a set of DAGs whose tasks form chains. Each task reads the tables
its predecessor wrote (the first task reads a source table), some tasks also
read a shared dimension table, and each writes one or two tables of its own.
Every DAG run gives each task a run with a START and a COMPLETE event, shaped
like what apache-airflow-providers-openlineage 1.14 sends: parent and
nominalTime run facets, jobType and sql job facets, schema dataset facets,
outputStatistics on outputs, and a columnLineage facet on the outputs of one
task in four. Serialized, an event is 2.2 to 6.8 kB, with a median of about
2.8 kB.
"""

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/1.14.0"
RUN_EVENT_SCHEMA_URL = (
    "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
)
FACET_URL = "https://openlineage.io/spec/facets/{version}/{name}.json#/$defs/{name}"
ESTATE_START = datetime(2026, 1, 1, tzinfo=UTC)

JOB_NAMESPACES = ("airflow-finance", "airflow-marketing", "airflow-platform")
WAREHOUSE = "postgres://warehouse.internal:5432"
SHARED_DIMENSIONS = ("dim_date", "dim_customer", "dim_currency")
FIELD_TYPES = ("INTEGER", "BIGINT", "TEXT", "NUMERIC", "TIMESTAMP", "BOOLEAN")
FIELD_NAMES = (
    "id", "account_id", "customer_id", "order_id", "amount", "currency", "status",
    "created_at", "updated_at", "region", "channel", "quantity", "is_active", "day",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    namespace: str
    name: str
    # (field name, type) pairs of its SchemaDatasetFacet.
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    namespace: str
    dag: str
    name: str  # "<dag>.<task>", as the Airflow integration names jobs
    inputs: tuple[DatasetSpec, ...]
    outputs: tuple[DatasetSpec, ...]
    column_lineage: bool


def facet(facet_type: str, version: str, **fields) -> dict:
    """Build a facet of the given schema type and version, with its metadata keys."""
    return {
        "_producer": PRODUCER,
        "_schemaURL": FACET_URL.format(version=version, name=facet_type),
        **fields,
    }


def format_time(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def random_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _random_table(rng: random.Random, name: str) -> DatasetSpec:
    count = rng.randint(2, 5)
    fields = tuple((field, rng.choice(FIELD_TYPES)) for field in FIELD_NAMES[:count])
    return DatasetSpec(WAREHOUSE, name, fields)


def build_estate(*, dags: int, tasks_per_dag: int, seed: int) -> list[TaskSpec]:
    """Build `dags` DAGs of `tasks_per_dag` chained tasks, in DAG then task order."""
    rng = random.Random(seed)
    dimensions = [
        _random_table(rng, f"analytics.shared.{name}") for name in SHARED_DIMENSIONS
    ]
    tasks = []
    for dag_index in range(dags):
        namespace = JOB_NAMESPACES[dag_index % len(JOB_NAMESPACES)]
        dag = f"etl_{dag_index:05d}"
        upstream = [_random_table(rng, f"raw.{dag}.source")]
        for task_index in range(tasks_per_dag):
            inputs = list(upstream)
            if rng.random() < 0.2:
                inputs.append(rng.choice(dimensions))
            outputs = [
                _random_table(rng, f"analytics.{dag}.step_{task_index}_{n}")
                for n in range(1 if rng.random() < 0.75 else 2)
            ]
            tasks.append(
                TaskSpec(
                    namespace=namespace,
                    dag=dag,
                    name=f"{dag}.step_{task_index}",
                    inputs=tuple(inputs),
                    outputs=tuple(outputs),
                    column_lineage=rng.random() < 1 / 4,
                )
            )
            upstream = outputs
    return tasks


def _schema_facet(dataset: DatasetSpec) -> dict:
    fields = [{"name": name, "type": type_} for name, type_ in dataset.fields]
    return facet("SchemaDatasetFacet", "1-1-1", fields=fields)


def _column_lineage_facet(task: TaskSpec, output: DatasetSpec) -> dict:
    source = task.inputs[0]
    fields = {}
    for position, (name, _) in enumerate(output.fields):
        source_field = source.fields[position % len(source.fields)][0]
        fields[name] = {
            "inputFields": [
                {
                    "namespace": source.namespace,
                    "name": source.name,
                    "field": source_field,
                    "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                }
            ]
        }
    return facet("ColumnLineageDatasetFacet", "1-2-0", fields=fields)


class _TaskParts:
    """The parts of a task's events that are the same in every run.

    Events share these dicts, which is safe because events are only serialized.
    """

    def __init__(self, task: TaskSpec):
        source = ", ".join(dataset.name for dataset in task.inputs)
        self.job = {
            "namespace": task.namespace,
            "name": task.name,
            "facets": {
                "jobType": facet(
                    "JobTypeJobFacet",
                    "2-0-3",
                    integration="AIRFLOW",
                    jobType="TASK",
                    processingType="BATCH",
                ),
                "sql": facet(
                    "SQLJobFacet",
                    "1-1-0",
                    query=f"INSERT INTO {task.outputs[0].name} SELECT * FROM {source}",
                ),
            },
        }
        self.parent_job = {"namespace": task.namespace, "name": task.dag}
        self.inputs = [
            {
                "namespace": dataset.namespace,
                "name": dataset.name,
                "facets": {"schema": _schema_facet(dataset)},
            }
            for dataset in task.inputs
        ]
        self.start_output_facets = [
            {"schema": _schema_facet(dataset)} for dataset in task.outputs
        ]
        self.complete_output_facets = [
            dict(facets) for facets in self.start_output_facets
        ]
        if task.column_lineage:
            for facets, dataset in zip(
                self.complete_output_facets, task.outputs, strict=True
            ):
                facets["columnLineage"] = _column_lineage_facet(task, dataset)


def run_event(
    task: TaskSpec,
    *,
    state: str,
    run_id: str,
    dag_run_id: str,
    nominal_time: datetime,
    event_time: datetime,
    row_count: int,
    parts: _TaskParts | None = None,
) -> dict:
    """Build one RunEvent of `task` as the Airflow integration would send it."""
    parts = parts or _TaskParts(task)
    if state == "COMPLETE":
        statistics = facet(
            "OutputStatisticsOutputDatasetFacet",
            "1-0-2",
            rowCount=row_count,
            size=row_count * 48,
        )
        outputs = [
            {
                "namespace": dataset.namespace,
                "name": dataset.name,
                "facets": facets,
                "outputFacets": {"outputStatistics": statistics},
            }
            for dataset, facets in zip(
                task.outputs, parts.complete_output_facets, strict=True
            )
        ]
    else:
        outputs = [
            {"namespace": dataset.namespace, "name": dataset.name, "facets": facets}
            for dataset, facets in zip(
                task.outputs, parts.start_output_facets, strict=True
            )
        ]
    return {
        "eventType": state,
        "eventTime": format_time(event_time),
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_SCHEMA_URL,
        "run": {
            "runId": run_id,
            "facets": {
                "parent": facet(
                    "ParentRunFacet",
                    "1-1-0",
                    job=parts.parent_job,
                    run={"runId": dag_run_id},
                ),
                "nominalTime": facet(
                    "NominalTimeRunFacet",
                    "1-0-1",
                    nominalStartTime=format_time(nominal_time),
                ),
            },
        },
        "job": parts.job,
        "inputs": parts.inputs,
        "outputs": outputs,
    }


class RunEventStream:
    """An endless, deterministic stream of distinct RunEvents for one estate.

    DAG runs are scheduled every five minutes of simulated time, each DAG in turn.
    A DAG run runs its tasks one after the other, each emitting START then
    COMPLETE, so run ids and event times never repeat.
    """

    def __init__(self, tasks: list[TaskSpec], *, seed: int):
        self.tasks = tasks
        self.rng = random.Random(seed)
        self.dags = sorted({task.dag for task in tasks})
        self.tasks_by_dag = {
            dag: [t for t in tasks if t.dag == dag] for dag in self.dags
        }
        self.parts = {task.name: _TaskParts(task) for task in tasks}
        self.dag_runs = 0

    def dag_run_events(self) -> list[dict]:
        """Return the events of the next DAG run, in the order they happen."""
        dag = self.dags[self.dag_runs % len(self.dags)]
        nominal_time = ESTATE_START + timedelta(minutes=5 * self.dag_runs)
        self.dag_runs += 1
        dag_run_id = random_uuid(self.rng)
        moment = nominal_time + timedelta(seconds=self.rng.uniform(1, 30))
        events = []
        for task in self.tasks_by_dag[dag]:
            run_id = random_uuid(self.rng)
            common = {
                "run_id": run_id,
                "dag_run_id": dag_run_id,
                "nominal_time": nominal_time,
                "row_count": self.rng.randint(1_000, 5_000_000),
                "parts": self.parts[task.name],
            }
            events.append(run_event(task, state="START", event_time=moment, **common))
            moment += timedelta(seconds=self.rng.uniform(5, 600))
            events.append(
                run_event(task, state="COMPLETE", event_time=moment, **common)
            )
            moment += timedelta(seconds=self.rng.uniform(0.1, 5))
        return events

    def __iter__(self) -> Iterator[dict]:
        while True:
            yield from self.dag_run_events()

    def take(self, count: int) -> list[dict]:
        """Return the next `count` events."""
        events = []
        while len(events) < count:
            events.extend(self.dag_run_events())
        # A DAG run cut in two leaves its other events unsent, which is harmless:
        # every event is still distinct from all the others.
        return events[:count]
