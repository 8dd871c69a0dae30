"""Rows of the derived lineage tables, made through the ORM for tests.

For tests that need a graph of a given shape without sending events. Each
helper takes names as plain strings and creates the namespace on first use.
"""

import uuid
from datetime import UTC, datetime

from lineage.models import (
    ColumnLineageEdge,
    Dataset,
    Direction,
    Job,
    LineageEdge,
    Namespace,
    Run,
    SchemaVersion,
)

SEEN_AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def make_namespace(name: str) -> Namespace:
    namespace, _ = Namespace.objects.get_or_create(
        name=name, defaults={"first_seen_at": SEEN_AT}
    )
    return namespace


def make_dataset(
    namespace: str, name: str, *, canonical: Dataset | None = None, fields=None
) -> Dataset:
    dataset = Dataset.objects.create(
        namespace=make_namespace(namespace),
        name=name,
        canonical=canonical,
        first_seen_at=SEEN_AT,
        last_event_time=SEEN_AT,
    )
    if fields is not None:
        schema = SchemaVersion.objects.create(
            dataset=dataset,
            fingerprint=uuid.uuid4().hex,
            fields=fields,
            first_seen_at=SEEN_AT,
            last_seen_at=SEEN_AT,
        )
        dataset.current_schema = schema
        dataset.current_schema_time = SEEN_AT
        dataset.save(update_fields=["current_schema", "current_schema_time"])
    return dataset


def make_job(namespace: str, name: str, *, parent: Job | None = None) -> Job:
    return Job.objects.create(
        namespace=make_namespace(namespace),
        name=name,
        parent=parent,
        first_seen_at=SEEN_AT,
        last_event_time=SEEN_AT,
    )


def make_run(
    job: Job,
    *,
    state: str = Run.State.COMPLETE,
    started_at: datetime | None = SEEN_AT,
    ended_at: datetime | None = None,
    run_id: uuid.UUID | None = None,
) -> Run:
    return Run.objects.create(
        run_id=run_id or uuid.uuid4(),
        job=job,
        state=state,
        state_time=ended_at or started_at,
        started_at=started_at,
        ended_at=ended_at,
        first_event_time=started_at,
    )


def make_edge(job: Job, dataset: Dataset, direction: str) -> LineageEdge:
    return LineageEdge.objects.create(
        job=job,
        dataset=dataset,
        direction=direction,
        seen_in_runs=True,
        first_seen_at=SEEN_AT,
        last_seen_at=SEEN_AT,
    )


def make_reads(job: Job, *datasets: Dataset) -> None:
    for dataset in datasets:
        make_edge(job, dataset, Direction.INPUT)


def make_writes(job: Job, *datasets: Dataset) -> None:
    for dataset in datasets:
        make_edge(job, dataset, Direction.OUTPUT)


def make_column_edge(
    input_dataset: Dataset,
    input_field: str,
    output_dataset: Dataset,
    output_field: str,
    transformations=(),
) -> ColumnLineageEdge:
    return ColumnLineageEdge.objects.create(
        input_dataset=input_dataset,
        input_field=input_field,
        output_dataset=output_dataset,
        output_field=output_field,
        transformations=list(transformations),
        first_seen_at=SEEN_AT,
        last_seen_at=SEEN_AT,
    )
