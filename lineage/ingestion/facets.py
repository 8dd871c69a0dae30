"""Shape checks for the standard OpenLineage facets.

Each check is a compact transcription of the facet's JSON Schema in the
OpenLineage spec (spec/facets/*.json at OpenLineage commit 8f02abf): required
properties and JSON types, the formats this portal interprets (date-time, UUID)
and nothing else. A full JSON Schema validator would be several times slower on
the ingestion hot path.

Deliberate departures from the schemas, so that real producers are not flagged:
`_producer` and `_schemaURL` are not required, a null optional property counts
as absent, and an integer may arrive as a whole float.
"""

from datetime import UTC, datetime
from functools import cached_property
from uuid import UUID


class Shape:
    """A JSON type that a facet property must have.

    `matches(value)` returns only whether the value fits, without building the
    paths that `problem` reports, so the common valid facet is checked cheaply
    and `problem` runs only for one that fails.
    """

    def __init__(self, description: str, test):
        self.description = description
        self.test = test
        self.matches = test

    def problem(self, value, path: str) -> str | None:
        if self.test(value):
            return None
        return f"{path} must be {self.description}"


def _is_integer(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_uuid(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        UUID(value)
    except ValueError:
        return False
    return True


def _is_date_time(value) -> bool:
    return isinstance(value, str) and parse_date_time(value) is not None


STRING = Shape("a string", lambda value: isinstance(value, str))
# Names that identify a job or dataset: an empty one would link to nothing.
NAME = Shape("a non-empty string", lambda value: isinstance(value, str) and value)
INTEGER = Shape("an integer", _is_integer)
NUMBER = Shape(
    "a number",
    lambda value: isinstance(value, int | float) and not isinstance(value, bool),
)
BOOLEAN = Shape("a boolean", lambda value: isinstance(value, bool))
ANY_OBJECT = Shape("an object", lambda value: isinstance(value, dict))
UUID_STRING = Shape("a UUID", _is_uuid)
DATE_TIME = Shape("a date-time with a time part", _is_date_time)


class Obj(Shape):
    """An object with required and optional properties; other properties pass."""

    def __init__(self, required: dict | None = None, optional: dict | None = None):
        self.description = "an object"
        self.required = required or {}
        self.optional = optional or {}

    @cached_property
    def _checks(self) -> tuple[tuple, tuple]:
        # Built on first use, since a recursive shape gains a property after
        # construction (see _SCHEMA_FIELD).
        return (
            tuple((key, shape.matches) for key, shape in self.required.items()),
            tuple((key, shape.matches) for key, shape in self.optional.items()),
        )

    def matches(self, value) -> bool:
        if not isinstance(value, dict):
            return False
        required, optional = self._checks
        for key, matches in required:
            item = value.get(key)
            if item is None or not matches(item):
                return False
        for key, matches in optional:
            item = value.get(key)
            if item is not None and not matches(item):
                return False
        return True

    def problem(self, value, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path} must be an object"
        for key, shape in self.required.items():
            item = value.get(key)
            if item is None:
                return f"{_join(path, key)} is missing"
            if problem := shape.problem(item, _join(path, key)):
                return problem
        for key, shape in self.optional.items():
            item = value.get(key)
            if item is not None and (problem := shape.problem(item, _join(path, key))):
                return problem
        return None


class ListOf(Shape):
    def __init__(self, item: Shape):
        self.description = "an array"
        self.item = item

    def matches(self, value) -> bool:
        return isinstance(value, list) and all(map(self.item.matches, value))

    def problem(self, value, path: str) -> str | None:
        if not isinstance(value, list):
            return f"{path} must be an array"
        for index, item in enumerate(value):
            if problem := self.item.problem(item, f"{path}[{index}]"):
                return problem
        return None


class MapOf(Shape):
    """An object whose every value has one shape (keys are names)."""

    def __init__(self, value: Shape):
        self.description = "an object"
        self.value = value

    def matches(self, value) -> bool:
        return isinstance(value, dict) and all(map(self.value.matches, value.values()))

    def problem(self, value, path: str) -> str | None:
        if not isinstance(value, dict):
            return f"{path} must be an object"
        for key, item in value.items():
            if problem := self.value.problem(item, _join(path, key)):
                return problem
        return None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def parse_date_time(text: str) -> tuple[datetime, bool] | None:
    """Read an ISO 8601 date-time as aware UTC, and whether it had an offset.

    Returns None for anything without a time part, such as a bare date.
    Python 3.11's fromisoformat reads offsets, "Z" and fractions past
    microseconds (they are truncated).
    """
    if len(text) < 11 or text[10] not in "Tt ":
        return None
    # RFC 3339 allows lowercase "t" and "z", which fromisoformat does not read.
    text = text[:10] + "T" + text[11:]
    if text.endswith("z"):
        text = text[:-1] + "Z"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC), False
    try:
        return value.astimezone(UTC), True
    except OverflowError:
        return None


_NAMED = Obj(required={"namespace": NAME, "name": NAME})
_OWNERS = Obj(optional={"owners": ListOf(Obj(required={"name": STRING}))})
_DOCUMENTATION = Obj(required={"description": STRING})
_TAGS = Obj(optional={"tags": ListOf(Obj(required={"key": STRING, "value": STRING}))})
_COLUMN_METRICS = Obj(
    required={"columnMetrics": MapOf(ANY_OBJECT)},
    optional={"rowCount": INTEGER, "bytes": INTEGER, "fileCount": INTEGER},
)
_STATISTICS = Obj(optional={"rowCount": INTEGER, "size": INTEGER, "fileCount": INTEGER})
_ASSERTIONS = Obj(required={"assertions": ListOf(Obj(required={"assertion": STRING}))})

_SCHEMA_FIELD = Obj(
    required={"name": STRING},
    optional={"type": STRING, "description": STRING, "ordinal_position": INTEGER},
)
# A field may nest fields of its own (a struct column).
_SCHEMA_FIELD.optional["fields"] = ListOf(_SCHEMA_FIELD)

_TRANSFORMATION = Obj(
    required={"type": STRING},
    optional={"subtype": STRING, "description": STRING, "masking": BOOLEAN},
)
_INPUT_FIELD = Obj(
    required={"namespace": NAME, "name": NAME, "field": STRING},
    optional={"transformations": ListOf(_TRANSFORMATION)},
)

PARENT = Obj(
    required={"job": _NAMED},
    # The schema requires run.runId, but some producers send `run: {}`:
    # the facet still names the parent job, so only the run link is lost.
    optional={"run": Obj(optional={"runId": UUID_STRING})},
)

SHAPES: dict[str, dict[str, Shape]] = {
    "run": {
        "parent": PARENT,
        "nominalTime": Obj(
            required={"nominalStartTime": DATE_TIME},
            optional={"nominalEndTime": DATE_TIME},
        ),
        "errorMessage": Obj(
            required={"message": STRING, "programmingLanguage": STRING},
            optional={"stackTrace": STRING},
        ),
        "externalQuery": Obj(required={"externalQueryId": STRING, "source": STRING}),
        "processing_engine": Obj(
            required={"version": STRING},
            optional={"name": STRING, "openlineageAdapterVersion": STRING},
        ),
        "environmentVariables": Obj(
            required={
                "environmentVariables": ListOf(
                    Obj(required={"name": STRING, "value": STRING})
                )
            }
        ),
        "extractionError": Obj(
            required={
                "totalTasks": INTEGER,
                "failedTasks": INTEGER,
                "errors": ListOf(Obj(required={"errorMessage": STRING})),
            }
        ),
        "tags": _TAGS,
    },
    "job": {
        "sql": Obj(required={"query": STRING}, optional={"dialect": STRING}),
        "documentation": _DOCUMENTATION,
        "ownership": _OWNERS,
        "sourceCode": Obj(required={"language": STRING, "sourceCode": STRING}),
        "sourceCodeLocation": Obj(required={"type": STRING, "url": STRING}),
        "jobType": Obj(
            required={"processingType": STRING, "integration": STRING},
            optional={"jobType": STRING},
        ),
        "tags": _TAGS,
    },
    "dataset": {
        "schema": Obj(optional={"fields": ListOf(_SCHEMA_FIELD)}),
        "symlinks": Obj(
            optional={
                "identifiers": ListOf(
                    Obj(required={"namespace": NAME, "name": NAME, "type": STRING})
                )
            }
        ),
        "columnLineage": Obj(
            required={
                "fields": MapOf(
                    Obj(
                        required={"inputFields": ListOf(_INPUT_FIELD)},
                        optional={
                            "transformationDescription": STRING,
                            "transformationType": STRING,
                        },
                    )
                )
            },
            optional={"dataset": ListOf(_INPUT_FIELD)},
        ),
        "dataSource": Obj(optional={"name": STRING, "uri": STRING}),
        "documentation": _DOCUMENTATION,
        "ownership": _OWNERS,
        "version": Obj(required={"datasetVersion": STRING}),
        "storage": Obj(
            required={"storageLayer": STRING}, optional={"fileFormat": STRING}
        ),
        "lifecycleStateChange": Obj(
            required={"lifecycleStateChange": STRING},
            optional={"previousIdentifier": _NAMED},
        ),
        "datasetType": Obj(required={"datasetType": STRING}),
        "catalog": Obj(required={"framework": STRING, "type": STRING, "name": STRING}),
        "tags": _TAGS,
        "dataQualityMetrics": _COLUMN_METRICS,
        "dataQualityAssertions": _ASSERTIONS,
    },
    "input": {
        "dataQualityMetrics": _COLUMN_METRICS,
        "dataQualityAssertions": _ASSERTIONS,
        "inputStatistics": _STATISTICS,
    },
    "output": {
        "outputStatistics": _STATISTICS,
    },
}


def facet_problem(kind: str, name: str, facet) -> str | None:
    """Return why a facet breaks its schema, or None when it matches or is unknown.

    `kind` is "run", "job", "dataset", "input" or "output". A dataset or job
    facet that only carries `_deleted: true` marks a deletion and always passes.
    """
    if not isinstance(facet, dict):
        return "a facet must be a JSON object"
    if facet.get("_deleted") is True:
        return None
    shape = SHAPES[kind].get(name)
    if shape is None or shape.matches(facet):
        return None
    return shape.problem(facet, "")
