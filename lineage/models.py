"""OpenLineage events as received, and the lineage derived from them.

`Event` is the raw, append-only log. Every other model here is derived from it
by `lineage.ingestion.derive` and can be rebuilt from it at any time, so the
derivation is written to give the same tables whatever the order of the events:
every column is either set once, or the least or greatest of what was seen, or
chosen by `eventTime`.

Names of namespaces, jobs, datasets and fields are kept exactly as sent and can
be of any length, so their unique constraints index an MD5 of the name: a
B-tree entry on the raw text fails past about 2.7 kB.

Foreign keys whose column leads a unique constraint or a composite index have
`db_index=False`: that index serves their lookups, and one more index would
cost every insert on the ingestion path.
"""

from django.db import models
from django.db.models.functions import MD5


class JSONTextField(models.JSONField):
    """A JSONField in a `json` column: validated and kept as the text written.

    Converting an event to `jsonb` costs several times more than validating it,
    and the raw log is only ever read whole, never searched by key.
    """

    def db_type(self, connection):
        return "json"

    def from_db_value(self, value, expression, connection):
        # psycopg decodes `json` columns itself; Django only registers a text
        # loader for `jsonb`.
        return value


class Event(models.Model):
    """One OpenLineage event, stored once as it came (append-only).

    A database trigger (migration 0002) rejects UPDATE and DELETE on this table.
    """

    class Type(models.TextChoices):
        RUN = "RunEvent"
        DATASET = "DatasetEvent"
        JOB = "JobEvent"

    # SHA-256 of the event with its keys sorted: the same event sent twice is
    # stored once.
    event_hash = models.CharField(max_length=64)
    event_type = models.CharField(max_length=16, choices=Type.choices)
    run_state = models.CharField(max_length=16, blank=True, default="")
    event_time = models.DateTimeField()
    run_id = models.UUIDField(null=True, blank=True)
    producer = models.TextField(blank=True, default="")
    schema_url = models.TextField(blank=True, default="")
    payload = JSONTextField()
    warnings = models.JSONField(default=list, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    api_key = models.ForeignKey(
        "core.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # A plain unique constraint: unique=True on a CharField adds a second,
            # never used LIKE index that every insert pays for.
            models.UniqueConstraint(
                fields=["event_hash"], name="lineage_event_hash_uniq"
            )
        ]
        indexes = [
            # Serves "all events of one run", for the run page and replays.
            models.Index(fields=["run_id"], name="lineage_event_run_idx"),
        ]

    def __str__(self):
        return f"{self.event_type} {self.run_state} {self.event_time:%Y-%m-%d %H:%M:%S}"


class Namespace(models.Model):
    name = models.TextField()
    first_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(MD5("name"), name="lineage_namespace_uniq")
        ]

    def __str__(self):
        return self.name


class Job(models.Model):
    namespace = models.ForeignKey(
        Namespace, on_delete=models.PROTECT, related_name="jobs", db_index=False
    )
    name = models.TextField()
    # From the ParentRunFacet: an Airflow task's DAG, a Spark action's application.
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    first_seen_at = models.DateTimeField()
    last_event_time = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint("namespace", MD5("name"), name="lineage_job_uniq")
        ]

    def __str__(self):
        return f"{self.namespace.name}:{self.name}"


class Dataset(models.Model):
    namespace = models.ForeignKey(
        Namespace, on_delete=models.PROTECT, related_name="datasets", db_index=False
    )
    name = models.TextField()
    # Set when a SymlinksDatasetFacet names another identifier for this dataset
    # (a path that is also a table): lineage is recorded on the canonical dataset.
    canonical = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="aliases"
    )
    first_seen_at = models.DateTimeField()
    last_event_time = models.DateTimeField()
    # The schema with the latest eventTime, and that time.
    current_schema = models.ForeignKey(
        "SchemaVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    current_schema_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "namespace", MD5("name"), name="lineage_dataset_uniq"
            )
        ]

    def __str__(self):
        return f"{self.namespace.name}:{self.name}"


class SchemaVersion(models.Model):
    """A distinct SchemaDatasetFacet of a dataset, nested fields included."""

    dataset = models.ForeignKey(
        Dataset,
        on_delete=models.CASCADE,
        related_name="schema_versions",
        db_index=False,
    )
    # SHA-256 of the fields with sorted keys: the same schema is stored once.
    fingerprint = models.CharField(max_length=64)
    fields = JSONTextField()
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "fingerprint"], name="lineage_schema_version_uniq"
            )
        ]


class Run(models.Model):
    class State(models.TextChoices):
        START = "START"
        RUNNING = "RUNNING"
        COMPLETE = "COMPLETE"
        FAIL = "FAIL"
        ABORT = "ABORT"
        OTHER = "OTHER"

    TERMINAL_STATES = (State.COMPLETE, State.FAIL, State.ABORT)

    run_id = models.UUIDField(unique=True)
    # A run only named as another run's parent has no job of its own until its
    # own events arrive.
    job = models.ForeignKey(
        Job,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="runs",
        db_index=False,
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    # The state of the deciding event: a terminal state outranks any other, and
    # among equals the later eventTime wins, so arrival order does not matter.
    state = models.CharField(
        max_length=16, choices=State.choices, blank=True, default=""
    )
    state_time = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    nominal_start_time = models.DateTimeField(null=True, blank=True)
    nominal_end_time = models.DateTimeField(null=True, blank=True)
    first_event_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Serves a job page's newest runs first.
            models.Index(
                fields=["job", "-first_event_time"], name="lineage_run_job_time_idx"
            ),
        ]

    def __str__(self):
        return str(self.run_id)


class Direction(models.TextChoices):
    INPUT = "input"
    OUTPUT = "output"


class RunDataset(models.Model):
    """A dataset read or written by a run. Each output is a version of the dataset."""

    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, related_name="datasets", db_index=False
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="runs", db_index=False
    )
    direction = models.CharField(max_length=6, choices=Direction.choices)
    schema_version = models.ForeignKey(
        SchemaVersion,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # inputFacets or outputFacets of the latest event that named this dataset.
    facets = JSONTextField(default=dict, blank=True)
    event_time = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "dataset", "direction"], name="lineage_run_dataset_uniq"
            )
        ]
        indexes = [
            # Serves a dataset page's versions, newest first.
            models.Index(
                fields=["dataset", "direction", "-event_time"],
                name="lineage_run_dataset_ver_idx",
            )
        ]


class LineageEdge(models.Model):
    """A job reads or writes a dataset: the graph that lineage queries walk.

    One row per job, dataset and direction however many runs there were, so the
    graph's size does not grow with history.
    """

    job = models.ForeignKey(
        Job, on_delete=models.CASCADE, related_name="edges", db_index=False
    )
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="edges", db_index=False
    )
    direction = models.CharField(max_length=6, choices=Direction.choices)
    # Seen in a run's events, declared by a JobEvent (design-time lineage), or both.
    seen_in_runs = models.BooleanField(default=False)
    declared = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["job", "dataset", "direction"], name="lineage_edge_uniq"
            )
        ]
        indexes = [
            # Serves the walk from a dataset to the jobs that read or write it.
            models.Index(
                fields=["dataset", "direction"], name="lineage_edge_dataset_idx"
            ),
        ]


class ColumnLineageEdge(models.Model):
    """An output field derived from an input field (ColumnLineageDatasetFacet)."""

    output_dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="column_inputs", db_index=False
    )
    output_field = models.TextField()
    input_dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="column_outputs", db_index=False
    )
    input_field = models.TextField()
    # The transformations of the latest facet: [{"type", "subtype", ...}].
    transformations = JSONTextField(default=list, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "output_dataset",
                MD5("output_field"),
                "input_dataset",
                MD5("input_field"),
                name="lineage_column_edge_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["input_dataset"], name="lineage_column_input_idx"),
        ]


class FacetBase(models.Model):
    """The latest value (by eventTime) of one named facet, kept as it came."""

    name = models.TextField()
    # `json`, as the raw log: every event rewrites its facets' latest values,
    # and converting each to `jsonb` cost more than the rest of the upsert.
    payload = JSONTextField(null=True)
    event_time = models.DateTimeField()
    # False when the facet broke its schema: kept raw and not interpreted.
    valid = models.BooleanField(default=True)

    class Meta:
        abstract = True


class JobFacet(FacetBase):
    job = models.ForeignKey(
        Job, on_delete=models.CASCADE, related_name="facets", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint("job", MD5("name"), name="lineage_job_facet_uniq")
        ]


class RunFacet(FacetBase):
    run = models.ForeignKey(
        Run, on_delete=models.CASCADE, related_name="facets", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint("run", MD5("name"), name="lineage_run_facet_uniq")
        ]


class DatasetFacet(FacetBase):
    dataset = models.ForeignKey(
        Dataset, on_delete=models.CASCADE, related_name="facets", db_index=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "dataset", MD5("name"), name="lineage_dataset_facet_uniq"
            )
        ]
