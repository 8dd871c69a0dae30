"""Helpers for lineage tests: derived tables by natural keys, and a clean slate."""

from django.db import connection

from lineage import models


def _job(job):
    if job is None:
        return None
    return (job.namespace.name, job.name)


def _dataset(dataset):
    if dataset is None:
        return None
    return (dataset.namespace.name, dataset.name)


def _fingerprint(version):
    return None if version is None else version.fingerprint


def _sorted(rows):
    return sorted(rows, key=repr)


def snapshot_lineage() -> dict[str, list]:
    """Every derived table as sorted tuples of natural keys and values, no ids."""
    datasets = models.Dataset.objects.select_related(
        "namespace", "canonical__namespace", "current_schema"
    )
    runs = models.Run.objects.select_related("job__namespace", "parent")
    run_datasets = models.RunDataset.objects.select_related(
        "run", "dataset__namespace", "schema_version"
    )
    edges = models.LineageEdge.objects.select_related(
        "job__namespace", "dataset__namespace"
    )
    column_edges = models.ColumnLineageEdge.objects.select_related(
        "output_dataset__namespace", "input_dataset__namespace"
    )
    return {
        "namespaces": _sorted(
            (n.name, n.first_seen_at) for n in models.Namespace.objects.all()
        ),
        "jobs": _sorted(
            (_job(j), _job(j.parent), j.first_seen_at, j.last_event_time)
            for j in models.Job.objects.select_related("namespace", "parent__namespace")
        ),
        "datasets": _sorted(
            (
                _dataset(d),
                _dataset(d.canonical),
                d.first_seen_at,
                d.last_event_time,
                _fingerprint(d.current_schema),
                d.current_schema_time,
            )
            for d in datasets
        ),
        "schema_versions": _sorted(
            (
                _dataset(s.dataset),
                s.fingerprint,
                s.fields,
                s.first_seen_at,
                s.last_seen_at,
            )
            for s in models.SchemaVersion.objects.select_related("dataset__namespace")
        ),
        "runs": _sorted(
            (
                r.run_id,
                _job(r.job),
                r.parent.run_id if r.parent else None,
                r.state,
                r.state_time,
                r.started_at,
                r.ended_at,
                r.nominal_start_time,
                r.nominal_end_time,
                r.first_event_time,
            )
            for r in runs
        ),
        "run_datasets": _sorted(
            (
                rd.run.run_id,
                _dataset(rd.dataset),
                rd.direction,
                _fingerprint(rd.schema_version),
                rd.facets,
                rd.event_time,
            )
            for rd in run_datasets
        ),
        "edges": _sorted(
            (
                _job(e.job),
                _dataset(e.dataset),
                e.direction,
                e.seen_in_runs,
                e.declared,
                e.first_seen_at,
                e.last_seen_at,
            )
            for e in edges
        ),
        "column_edges": _sorted(
            (
                _dataset(c.output_dataset),
                c.output_field,
                _dataset(c.input_dataset),
                c.input_field,
                c.transformations,
                c.first_seen_at,
                c.last_seen_at,
            )
            for c in column_edges
        ),
        "job_facets": _sorted(
            (_job(f.job), f.name, f.payload, f.event_time, f.valid)
            for f in models.JobFacet.objects.select_related("job__namespace")
        ),
        "run_facets": _sorted(
            (f.run.run_id, f.name, f.payload, f.event_time, f.valid)
            for f in models.RunFacet.objects.select_related("run")
        ),
        "dataset_facets": _sorted(
            (_dataset(f.dataset), f.name, f.payload, f.event_time, f.valid)
            for f in models.DatasetFacet.objects.select_related("dataset__namespace")
        ),
    }


def erase_lineage() -> None:
    """Empty the raw log and every derived table, inside the test's transaction.

    TRUNCATE is a statement, not a row DELETE, so the append-only trigger on
    lineage_event does not fire; only tests do this. CASCADE empties the
    catalog rows that refer to lineage too.
    """
    tables = [
        model._meta.db_table
        for model in (
            models.Event,
            models.Namespace,
            models.Job,
            models.Dataset,
            models.SchemaVersion,
            models.Run,
            models.RunDataset,
            models.LineageEdge,
            models.ColumnLineageEdge,
            models.JobFacet,
            models.RunFacet,
            models.DatasetFacet,
        )
    ]
    with connection.cursor() as cursor:
        # Foreign keys are checked at commit; TRUNCATE needs those checks done.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
