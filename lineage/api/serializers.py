"""Serializers of the read API: query parameters of the graphs, REST resources.

Field names follow Marquez's REST API (camelCase, `id` as {namespace, name}) so
tools written for it can read these resources. `pk` and `url` are the portal's
own: the database id and the page path.
"""

from rest_framework import serializers

from lineage import graph


class LineageQuerySerializer(serializers.Serializer):
    """Query parameters of `GET /api/v1/lineage` and `/api/v1/column-lineage`."""

    nodeId = serializers.CharField(trim_whitespace=False)
    depth = serializers.IntegerField(
        min_value=0, max_value=graph.MAX_DEPTH, default=graph.DEFAULT_DEPTH
    )
    direction = serializers.ChoiceField(choices=graph.DIRECTIONS, default=graph.BOTH)


class ColumnLineageQuerySerializer(LineageQuerySerializer):
    """Adds Marquez's `withDownstream`: false walks upstream only, true both ways.

    It applies when `direction` is not given.
    """

    withDownstream = serializers.BooleanField(required=False)

    def validate(self, attrs):
        # DRF reads a missing boolean in a QueryDict as false, so presence is
        # checked on the raw parameters.
        sent = self.initial_data
        if "withDownstream" in sent and "direction" not in sent:
            attrs["direction"] = (
                graph.BOTH if attrs["withDownstream"] else graph.UPSTREAM
            )
        return attrs


def name_ref(obj) -> dict | None:
    """{namespace, name} of a job or dataset, or None."""
    if obj is None:
        return None
    return {"namespace": obj.namespace.name, "name": obj.name}


def duration_ms(run) -> int | None:
    if run.started_at is None or run.ended_at is None:
        return None
    return int((run.ended_at - run.started_at).total_seconds() * 1000)


class NamespaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    createdAt = serializers.DateTimeField(source="first_seen_at")
    jobCount = serializers.IntegerField(source="job_count")
    datasetCount = serializers.IntegerField(source="dataset_count")


class NamespaceDetailSerializer(serializers.Serializer):
    name = serializers.CharField()
    createdAt = serializers.DateTimeField(source="first_seen_at")


class RunSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="run_id")
    state = serializers.CharField()
    createdAt = serializers.DateTimeField(source="first_event_time")
    startedAt = serializers.DateTimeField(source="started_at")
    endedAt = serializers.DateTimeField(source="ended_at")
    durationMs = serializers.SerializerMethodField()
    nominalStartTime = serializers.DateTimeField(source="nominal_start_time")
    nominalEndTime = serializers.DateTimeField(source="nominal_end_time")

    def get_durationMs(self, run) -> int | None:
        return duration_ms(run)


def run_dataset_data(run_dataset) -> dict:
    return {
        **name_ref(run_dataset.dataset),
        "pk": run_dataset.dataset_id,
        "schemaVersion": run_dataset.schema_version_id,
        "facets": run_dataset.facets,
    }


class RunDetailSerializer(RunSerializer):
    """A run as `selectors.run_detail` loads it."""

    job = serializers.SerializerMethodField()
    parentRunId = serializers.UUIDField(source="parent.run_id", default=None)
    inputs = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    facets = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    def get_job(self, run) -> dict | None:
        if run.job is None:
            return None
        return {**name_ref(run.job), "pk": run.job_id, "url": f"/jobs/{run.job_id}/"}

    def get_inputs(self, run) -> list[dict]:
        return [run_dataset_data(item) for item in run.input_list]

    def get_outputs(self, run) -> list[dict]:
        return [run_dataset_data(item) for item in run.output_list]

    def get_children(self, run) -> list[str]:
        return [str(child.run_id) for child in run.child_list]

    def get_facets(self, run) -> dict:
        return {facet.name: facet.payload for facet in run.facet_list}

    def get_events(self, run) -> list[dict]:
        """Return the run's stored events by eventTime, without their payloads."""
        return [
            {
                "pk": event.pk,
                "eventType": event.run_state or None,
                "eventTime": serializers.DateTimeField().to_representation(
                    event.event_time
                ),
                "producer": event.producer,
            }
            for event in run.event_list
        ]


class JobSerializer(serializers.Serializer):
    """A job of `selectors.job_list`, with its latest run's id and state."""

    id = serializers.SerializerMethodField()
    namespace = serializers.CharField(source="namespace.name")
    name = serializers.CharField()
    parentJobName = serializers.CharField(source="parent.name", default=None)
    createdAt = serializers.DateTimeField(source="first_seen_at")
    updatedAt = serializers.DateTimeField(source="last_event_time")
    latestRun = serializers.SerializerMethodField()
    pk = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_id(self, job) -> dict:
        return name_ref(job)

    def get_latestRun(self, job) -> dict | None:
        if job.latest_run_id is None:
            return None
        return {"id": str(job.latest_run_id), "state": job.latest_run_state}

    def get_url(self, job) -> str:
        return f"/jobs/{job.pk}/"


class JobDetailSerializer(JobSerializer):
    """A job as `selectors.job_detail` loads it: newest runs first."""

    inputs = serializers.SerializerMethodField()
    outputs = serializers.SerializerMethodField()
    children = serializers.SerializerMethodField()
    facets = serializers.SerializerMethodField()

    def get_latestRun(self, job) -> dict | None:
        return RunSerializer(job.run_list[0]).data if job.run_list else None

    def get_inputs(self, job) -> list[dict]:
        return [name_ref(edge.dataset) for edge in job.input_edges]

    def get_outputs(self, job) -> list[dict]:
        return [name_ref(edge.dataset) for edge in job.output_edges]

    def get_children(self, job) -> list[dict]:
        return [name_ref(child) for child in job.child_list]

    def get_facets(self, job) -> dict:
        return {facet.name: facet.payload for facet in job.facet_list}


class DatasetSerializer(serializers.Serializer):
    """A dataset of `selectors.dataset_list`."""

    id = serializers.SerializerMethodField()
    namespace = serializers.CharField(source="namespace.name")
    name = serializers.CharField()
    canonical = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="first_seen_at")
    updatedAt = serializers.DateTimeField(source="last_event_time")
    pk = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_id(self, dataset) -> dict:
        return name_ref(dataset)

    def get_canonical(self, dataset) -> dict | None:
        return name_ref(dataset.canonical)

    def get_url(self, dataset) -> str:
        return f"/datasets/{dataset.pk}/"


class SchemaVersionSerializer(serializers.Serializer):
    pk = serializers.IntegerField()
    fingerprint = serializers.CharField()
    fields = serializers.JSONField()
    firstSeenAt = serializers.DateTimeField(source="first_seen_at")
    lastSeenAt = serializers.DateTimeField(source="last_seen_at")


class DatasetDetailSerializer(DatasetSerializer):
    """A dataset as `selectors.dataset_detail` loads it.

    `fields` are the current schema's, nested as sent; `schemaVersions` lists
    every distinct schema, newest first.
    """

    # Named so as not to override Serializer.get_fields.
    fields = serializers.SerializerMethodField(method_name="get_schema_fields")
    currentSchemaTime = serializers.DateTimeField(source="current_schema_time")
    schemaVersions = SchemaVersionSerializer(source="schema_version_list", many=True)
    aliases = serializers.SerializerMethodField()
    producers = serializers.SerializerMethodField()
    consumers = serializers.SerializerMethodField()
    facets = serializers.SerializerMethodField()

    def get_schema_fields(self, dataset) -> list:
        schema = dataset.current_schema
        return schema.fields if schema is not None else []

    def get_aliases(self, dataset) -> list[dict]:
        return [name_ref(alias) for alias in dataset.alias_list]

    def get_producers(self, dataset) -> list[dict]:
        return [name_ref(edge.job) for edge in dataset.producer_edges]

    def get_consumers(self, dataset) -> list[dict]:
        return [name_ref(edge.job) for edge in dataset.consumer_edges]

    def get_facets(self, dataset) -> dict:
        return {facet.name: facet.payload for facet in dataset.facet_list}
