"""Marquez-like REST resources: namespaces, jobs, datasets and runs.

Namespaces and names go in the path, percent-encoded or not:
`/api/v1/namespaces/s3%3A%2F%2Fbucket/datasets/%2Fraw%2Forders`. Django decodes
`%2F` before routing, so a route cannot tell the `/` of a namespace from the
one before `jobs`. Everything after `namespaces/` is therefore read here. Every
place where `/jobs/` or `/datasets/` could split it is looked up in one query.
The most specific reading that exists wins: runs of a job, then a job or a
dataset, then a list, then a namespace. Within each kind the longest namespace
comes first. A job or dataset whose name makes that ambiguous is still
reachable by its database id (`/api/v1/jobs/<pk>`) or by `?namespace=&name=`
on `/api/v1/jobs` and `/api/v1/datasets`.

Lists are paginated with `limit` and `offset` and ordered by namespace and name
(runs: newest first).
"""

import uuid
from dataclasses import dataclass

import django_filters
from django.db import connection
from django.db.models import F
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ApiError
from core.pagination import BoundedLimitOffsetPagination
from core.permissions import scope_permission
from lineage import graph, selectors
from lineage.api import serializers
from lineage.models import Dataset, Job, Namespace, Run

CanRead = scope_permission("read")

JOB_RUNS = "job_runs"
JOB = "job"
DATASET = "dataset"
JOBS = "jobs"
DATASETS = "datasets"
NAMESPACE = "namespace"
# Most specific first: the first reading that exists is the one served.
READING_ORDER = (JOB_RUNS, JOB, DATASET, JOBS, DATASETS, NAMESPACE)


@dataclass(frozen=True, slots=True)
class Reading:
    """One way to read a path: `kind` of resource, namespace and name ("")."""

    kind: str
    namespace: str
    name: str = ""


def path_readings(rest: str) -> list[Reading]:
    """Return every reading of the path after `namespaces/`, preferred first."""
    readings = []
    texts = [rest]
    # A trailing slash may be part of a name (`s3://bucket/`) or added by a
    # client: the exact text is preferred.
    if rest.endswith("/") and len(rest) > 1:
        texts.append(rest[:-1])
    for text in texts:
        readings += _readings_of(text)
    order = {kind: position for position, kind in enumerate(READING_ORDER)}
    # sorted() is stable, so within a kind the exact text and the longest
    # namespace stay first.
    return sorted(readings, key=lambda reading: order[reading.kind])


def _readings_of(text: str) -> list[Reading]:
    readings = []
    for marker, kind in (("/jobs/", JOB), ("/datasets/", DATASET)):
        start = text.rfind(marker)
        while start > 0:
            namespace, name = text[:start], text[start + len(marker) :]
            if name:
                readings.append(Reading(kind, namespace, name))
                if kind == JOB and name.endswith("/runs") and len(name) > 5:
                    readings.append(Reading(JOB_RUNS, namespace, name[:-5]))
            # Occurrences may overlap, as in `/jobs/jobs/`.
            start = text.rfind(marker, 0, start + len(marker) - 1)
    for suffix, kind in (("/jobs", JOBS), ("/datasets", DATASETS)):
        if text.endswith(suffix) and len(text) > len(suffix):
            readings.append(Reading(kind, text[: -len(suffix)]))
    readings.append(Reading(NAMESPACE, text))
    return readings


_NAMESPACE = Namespace._meta.db_table
_FIND_SQL = f"""
    SELECT 'job', c.ordinal, t.id
    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS c(namespace, name, ordinal)
    JOIN {_NAMESPACE} n ON md5(n.name) = md5(c.namespace) AND n.name = c.namespace
    JOIN {Job._meta.db_table} t ON t.namespace_id = n.id
        AND md5(t.name) = md5(c.name) AND t.name = c.name
    UNION ALL
    SELECT 'dataset', c.ordinal, t.id
    FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY AS c(namespace, name, ordinal)
    JOIN {_NAMESPACE} n ON md5(n.name) = md5(c.namespace) AND n.name = c.namespace
    JOIN {Dataset._meta.db_table} t ON t.namespace_id = n.id
        AND md5(t.name) = md5(c.name) AND t.name = c.name
    UNION ALL
    SELECT 'namespace', c.ordinal, n.id
    FROM unnest(%s::text[]) WITH ORDINALITY AS c(namespace, ordinal)
    JOIN {_NAMESPACE} n ON md5(n.name) = md5(c.namespace) AND n.name = c.namespace
"""


def resolve_path(rest: str) -> tuple[Reading, int]:
    """Return the reading of `rest` that exists and its row's pk, in one query.

    Raises the API's 404 envelope, worded for the preferred reading, when none
    exists.
    """
    if len(rest) > graph.MAX_NODE_ID_LENGTH:
        # Every `/jobs/` in the path is a reading, so the length bounds the work.
        raise ApiError(
            f"Invalid path of {len(rest)} characters after namespaces/: the maximum "
            f"is {graph.MAX_NODE_ID_LENGTH}."
        )
    if "\x00" in rest:
        # PostgreSQL text cannot hold NUL, so no namespace or name contains one.
        raise ApiError("Invalid path: it contains a NUL character.", field="path")
    readings = path_readings(rest)
    jobs = [r for r in readings if r.kind in (JOB, JOB_RUNS)]
    datasets = [r for r in readings if r.kind == DATASET]
    namespaces = [r for r in readings if r.kind in (JOBS, DATASETS, NAMESPACE)]
    with connection.cursor() as cursor:
        cursor.execute(
            _FIND_SQL,
            [
                [r.namespace for r in jobs],
                [r.name for r in jobs],
                [r.namespace for r in datasets],
                [r.name for r in datasets],
                [r.namespace for r in namespaces],
            ],
        )
        found = {(kind, ordinal - 1): pk for kind, ordinal, pk in cursor.fetchall()}
    groups = {"job": jobs, "dataset": datasets, "namespace": namespaces}
    pks = {}
    for table, group in groups.items():
        for index, reading in enumerate(group):
            if (table, index) in found:
                pks.setdefault(reading, found[table, index])
    for reading in readings:
        if reading in pks:
            return reading, pks[reading]
    raise _not_found(readings[0])


def _not_found(reading: Reading) -> ApiError:
    if reading.kind in (JOB, JOB_RUNS):
        message = f"Job {reading.name!r} not found in namespace {reading.namespace!r}."
    elif reading.kind == DATASET:
        message = (
            f"Dataset {reading.name!r} not found in namespace {reading.namespace!r}."
        )
    else:
        message = f"Namespace {reading.namespace!r} not found."
    return ApiError(message, code="not_found", status=404)


def paginated(view, request, queryset, serializer_class) -> Response:
    paginator = BoundedLimitOffsetPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def filtered(filterset_class, request, queryset):
    """Apply a django-filter FilterSet as DjangoFilterBackend does, so a bad
    value gets the same 400 envelope as on the generic list views."""
    filterset = filterset_class(request.query_params, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    return filterset.qs


class NameFilter(django_filters.CharFilter):
    """A name as sent: forms strip spaces by default, but names may hold them.

    An empty value still means the filter is not applied.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, strip=False, **kwargs)


class NamespaceFilter(django_filters.FilterSet):
    nameContains = NameFilter(field_name="name", lookup_expr="icontains")


class JobFilter(django_filters.FilterSet):
    """`namespace` and `name` match exactly; `state` is the latest run's state."""

    namespace = NameFilter(method="filter_namespace")
    name = NameFilter(method="filter_name")
    nameContains = NameFilter(field_name="name", lookup_expr="icontains")
    state = django_filters.ChoiceFilter(
        field_name="latest_run_state",
        choices=[*Run.State.choices, ("NONE", "No run yet")],
        method="filter_state",
    )

    def filter_namespace(self, queryset, name, value):
        return queryset.filter(namespace__name=value)

    def filter_name(self, queryset, name, value):
        return queryset.filter(name=value)

    def filter_state(self, queryset, name, value):
        if value == "NONE":
            return queryset.filter(latest_run_state__isnull=True)
        return queryset.filter(latest_run_state=value)


class DatasetFilter(django_filters.FilterSet):
    namespace = NameFilter(method="filter_namespace")
    name = NameFilter(method="filter_name")
    nameContains = NameFilter(field_name="name", lookup_expr="icontains")

    def filter_namespace(self, queryset, name, value):
        return queryset.filter(namespace__name=value)

    def filter_name(self, queryset, name, value):
        return queryset.filter(name=value)


def job_queryset():
    return selectors.job_list().select_related("parent")


class NamespaceListView(generics.ListAPIView):
    """`GET /api/v1/namespaces`, filtered by `nameContains`."""

    permission_classes = [CanRead]
    serializer_class = serializers.NamespaceSerializer
    filterset_class = NamespaceFilter

    def get_queryset(self):
        return selectors.namespace_list()


class JobListView(generics.ListAPIView):
    """`GET /api/v1/jobs?namespace=&name=&nameContains=&state=`.

    Jobs of every namespace, and the fallback for names that do not fit in a
    path.
    """

    permission_classes = [CanRead]
    serializer_class = serializers.JobSerializer
    filterset_class = JobFilter

    def get_queryset(self):
        return job_queryset()


class DatasetListView(generics.ListAPIView):
    """`GET /api/v1/datasets?namespace=&name=&nameContains=`."""

    permission_classes = [CanRead]
    serializer_class = serializers.DatasetSerializer
    filterset_class = DatasetFilter

    def get_queryset(self):
        return selectors.dataset_list()


class NamespacePathView(APIView):
    """Everything under `/api/v1/namespaces/<namespace>`: see the module doc.

    `<ns>`, `<ns>/jobs`, `<ns>/datasets`, `<ns>/jobs/<name>`,
    `<ns>/jobs/<name>/runs` and `<ns>/datasets/<name>`.
    """

    permission_classes = [CanRead]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, rest: str):
        reading, pk = resolve_path(rest)
        if reading.kind == NAMESPACE:
            namespace = Namespace.objects.get(pk=pk)
            return Response(serializers.NamespaceDetailSerializer(namespace).data)
        if reading.kind == JOBS:
            jobs = filtered(JobFilter, request, job_queryset().filter(namespace_id=pk))
            return paginated(self, request, jobs, serializers.JobSerializer)
        if reading.kind == DATASETS:
            datasets = filtered(
                DatasetFilter,
                request,
                selectors.dataset_list(namespace_id=pk),
            )
            return paginated(self, request, datasets, serializers.DatasetSerializer)
        if reading.kind == JOB:
            return job_response(pk)
        if reading.kind == DATASET:
            return dataset_response(pk)
        runs = Run.objects.filter(job_id=pk).order_by(
            F("first_event_time").desc(nulls_last=True), "-pk"
        )
        return paginated(self, request, runs, serializers.RunSerializer)


def job_response(pk: int) -> Response:
    try:
        job = selectors.job_detail(pk)
    except Http404:
        raise ApiError(f"Job {pk} not found.", code="not_found", status=404) from None
    return Response(serializers.JobDetailSerializer(job).data)


def dataset_response(pk: int) -> Response:
    try:
        dataset = selectors.dataset_detail(pk)
    except Http404:
        raise ApiError(
            f"Dataset {pk} not found.", code="not_found", status=404
        ) from None
    return Response(serializers.DatasetDetailSerializer(dataset).data)


class JobByPkView(APIView):
    """`GET /api/v1/jobs/<pk>`: a job by its database id, for the web pages."""

    permission_classes = [CanRead]

    @extend_schema(responses=serializers.JobDetailSerializer)
    def get(self, request, pk: int):
        return job_response(pk)


class DatasetByPkView(APIView):
    """`GET /api/v1/datasets/<pk>`: a dataset by its database id."""

    permission_classes = [CanRead]

    @extend_schema(responses=serializers.DatasetDetailSerializer)
    def get(self, request, pk: int):
        return dataset_response(pk)


class RunView(APIView):
    """`GET /api/v1/jobs/runs/<runId>`: a run by its OpenLineage runId."""

    permission_classes = [CanRead]

    @extend_schema(responses=serializers.RunDetailSerializer)
    def get(self, request, run_id: str):
        try:
            parsed = uuid.UUID(run_id)
        except ValueError:
            raise ApiError(
                f"Invalid runId {run_id!r}: expected a UUID.", field="runId"
            ) from None
        try:
            run = selectors.run_detail(parsed)
        except Http404:
            raise ApiError(
                f"Run {parsed} not found.", field="runId", code="not_found", status=404
            ) from None
        return Response(serializers.RunDetailSerializer(run).data)
