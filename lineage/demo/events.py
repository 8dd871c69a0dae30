"""Turn the demo estate into OpenLineage events, three days of scheduled runs."""

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    JobEvent,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import (
    error_message_run,
    nominal_time_run,
    output_statistics_output_dataset,
    parent_run,
    processing_engine_run,
)

from lineage.demo.datasets import CONSENTS, Table
from lineage.demo.jobs import (
    CUSTOMER_LIFETIME_VALUE_MODEL,
    EXPORT_REVENUE,
    PIPELINES,
    TRAIN_CHURN_MODEL,
    JobSpec,
    Pipeline,
)

PRODUCER = "urn:groundskeeper:demo-estate"
FIRST_DAY = datetime(2026, 11, 28, tzinfo=UTC)
DAYS = 3
# Runs that do not complete, by (day index, job name): the finance export fails
# on the second day and the churn model is still training on the last one.
OUTCOMES = {
    (1, EXPORT_REVENUE.name): RunState.FAIL,
    (2, TRAIN_CHURN_MODEL.name): RunState.RUNNING,
}
ENGINES = {
    "AIRFLOW": ("Airflow", "2.10.5"),
    "SPARK": ("spark", "3.5.3"),
    "DBT": ("dbt", "1.9.4"),
}
EXPORT_ERROR = (
    "PermissionError: [Errno 13] Permission denied: "
    "'s3://acme-reports/finance/revenue_daily.csv'"
)


@dataclass
class _RunRecord:
    job: JobSpec
    run_id: str
    started_at: datetime
    run_facets: dict


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _inputs(tables: tuple[Table, ...]) -> list[InputDataset]:
    return [InputDataset(t.namespace, t.name, facets=t.facets()) for t in tables]


def _outputs(job: JobSpec, row_counts: list[int] | None = None) -> list[OutputDataset]:
    outputs = []
    for position, table in enumerate(job.outputs):
        facets = table.facets()
        column_lineage = job.column_lineage_facet()
        if position == 0 and column_lineage:
            facets["columnLineage"] = column_lineage
        output_facets = {}
        if row_counts:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=row_counts[position]
                )
            )
        outputs.append(
            OutputDataset(
                table.namespace, table.name, facets=facets, outputFacets=output_facets
            )
        )
    return outputs


class _EstateWriter:
    """Collects the events of the estate's runs, drawing ids and times from a seed."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.events: list = []

    def new_run_id(self, moment: datetime) -> str:
        """Return a UUIDv7 for a run starting at `moment`.

        openlineage-python 1.54 generates run ids as UUIDv7 too (RFC 9562), so
        ids sort by start time.
        """
        value = (int(moment.timestamp() * 1000) << 80) | self.rng.getrandbits(80)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        return str(uuid.UUID(int=value))

    def duration(self, job: JobSpec) -> timedelta:
        return timedelta(seconds=round(job.duration * self.rng.uniform(0.8, 1.2)))

    def delay(self, low: int, high: int) -> timedelta:
        return timedelta(seconds=self.rng.randint(low, high))

    def start(
        self,
        job: JobSpec,
        moment: datetime,
        *,
        parent: _RunRecord | None = None,
        root: _RunRecord | None = None,
        nominal: datetime | None = None,
    ) -> _RunRecord:
        name, version = ENGINES[job.integration]
        run_facets = {
            "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
                version=version, name=name, openlineageAdapterVersion="1.54.0"
            )
        }
        if nominal is not None:
            run_facets["nominalTime"] = nominal_time_run.NominalTimeRunFacet(
                nominalStartTime=_timestamp(nominal),
                nominalEndTime=_timestamp(nominal + timedelta(days=1)),
            )
        if parent is not None:
            run_facets["parent"] = _parent_facet(parent, root or parent)
        record = _RunRecord(job, self.new_run_id(moment), moment, run_facets)
        self._emit(record, RunState.START, moment, outputs=_outputs(job))
        return record

    def running(self, record: _RunRecord, moment: datetime) -> None:
        self._emit(record, RunState.RUNNING, moment, outputs=[])

    def end(
        self, record: _RunRecord, moment: datetime, state: RunState, error: str = ""
    ) -> None:
        run_facets = {}
        outputs = []
        if state == RunState.FAIL:
            run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=error, programmingLanguage="PYTHON"
            )
        else:
            row_counts = [
                self.rng.randint(5_000, 2_000_000) for _ in record.job.outputs
            ]
            outputs = _outputs(record.job, row_counts)
        self._emit(record, state, moment, outputs=outputs, run_facets=run_facets)

    def _emit(self, record, state, moment, *, outputs, run_facets=None) -> None:
        self.events.append(
            RunEvent(
                eventTime=_timestamp(moment),
                producer=PRODUCER,
                eventType=state,
                run=Run(
                    runId=record.run_id,
                    facets={**record.run_facets, **(run_facets or {})},
                ),
                job=Job(record.job.namespace, record.job.name, record.job.facets()),
                inputs=_inputs(record.job.inputs),
                outputs=outputs,
            )
        )


def _parent_facet(parent: _RunRecord, root: _RunRecord) -> parent_run.ParentRunFacet:
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=parent.run_id),
        job=parent_run.Job(namespace=parent.job.namespace, name=parent.job.name),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=root.run_id),
            job=parent_run.RootJob(namespace=root.job.namespace, name=root.job.name),
        ),
    )


def _run_task(writer, job, moment, *, dag, nominal, outcome) -> datetime:
    """Run one task (and the Spark application it submits); return its end time."""
    task = writer.start(job, moment, parent=dag, nominal=nominal)
    ended_at = moment + writer.duration(job)
    if job.submits:
        app_started_at = moment + writer.delay(5, 20)
        app = writer.start(job.submits, app_started_at, parent=task, root=dag)
        app_ended_at = app_started_at + writer.duration(job.submits)
        writer.end(app, app_ended_at, RunState.COMPLETE)
        ended_at = app_ended_at + writer.delay(2, 10)

    if outcome == RunState.RUNNING:
        writer.running(task, moment + writer.delay(60, 120))
    else:
        error = EXPORT_ERROR if outcome == RunState.FAIL else ""
        writer.end(task, ended_at, outcome, error)
    return ended_at


def _run_pipeline(writer: _EstateWriter, pipeline: Pipeline, day: int) -> None:
    """Run a DAG or dbt build: a failed or running task stops the later stages."""
    nominal = FIRST_DAY + timedelta(days=day, hours=pipeline.start_hour)
    dag = writer.start(pipeline.job, nominal + writer.delay(1, 30), nominal=nominal)
    moment = dag.started_at
    dag_outcome = RunState.COMPLETE
    dag_error = ""
    for stage in pipeline.stages:
        stage_started_at = moment + writer.delay(3, 15)
        for job in stage:
            outcome = OUTCOMES.get((day, job.name), RunState.COMPLETE)
            ended_at = _run_task(
                writer,
                job,
                stage_started_at,
                dag=dag,
                nominal=nominal,
                outcome=outcome,
            )
            moment = max(moment, ended_at)
            if outcome != RunState.COMPLETE:
                dag_outcome = outcome
                dag_error = f"Task {job.name} failed."
        if dag_outcome != RunState.COMPLETE:
            break

    if dag_outcome == RunState.RUNNING:
        writer.running(dag, dag.started_at + writer.delay(60, 120))
    else:
        writer.end(dag, moment + writer.delay(2, 10), dag_outcome, dag_error)


def _catalog_events() -> list:
    """Build a DatasetEvent from the CRM's schema sync and a JobEvent of a dbt merge."""
    dataset_event = DatasetEvent(
        eventTime=_timestamp(FIRST_DAY + timedelta(hours=1)),
        producer=PRODUCER,
        dataset=StaticDataset(
            CONSENTS.namespace, CONSENTS.name, facets=CONSENTS.facets()
        ),
    )
    model = CUSTOMER_LIFETIME_VALUE_MODEL
    job_event = JobEvent(
        eventTime=_timestamp(FIRST_DAY + timedelta(days=1, hours=15)),
        producer=PRODUCER,
        job=Job(model.namespace, model.name, model.facets()),
        inputs=_inputs(model.inputs),
        outputs=_outputs(model),
    )
    return [dataset_event, job_event]


def build_demo_events(seed: int) -> list:
    """Build the estate's events in eventTime order; the same seed, the same events."""
    writer = _EstateWriter(seed)
    for day in range(DAYS):
        for pipeline in PIPELINES:
            _run_pipeline(writer, pipeline, day)
    events = writer.events + _catalog_events()
    return sorted(events, key=lambda event: event.eventTime)
