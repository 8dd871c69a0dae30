"""Turn one decoded OpenLineage event into a ParsedEvent or raise EventRejected.

The reader is tolerant and strict only where the event's identity would be
lost: a missing run id, job or dataset name or event time rejects the event.
Smaller problems (no producer, a naive eventTime, a facet that breaks its
schema) are accepted and reported back as warnings.
"""

import hashlib
from uuid import UUID

import orjson
from django.conf import settings

from lineage.ingestion.events import (
    ColumnLineageInput,
    DatasetIdentifier,
    EventRejected,
    IngestWarning,
    ParentRun,
    ParsedDataset,
    ParsedEvent,
)
from lineage.ingestion.facets import facet_problem, parse_date_time

RUN_STATES = frozenset({"START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"})
_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _json_type(value) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def parse_event(payload, *, max_nesting: int | None = None) -> ParsedEvent:
    """Validate one event payload (already decoded JSON) and read what derivation needs.

    Raises EventRejected naming the offending field as a dotted path.
    """
    if not isinstance(payload, dict):
        raise EventRejected(
            f"An event must be a JSON object, not {_json_type(payload)}.",
            field=None,
        )
    if max_nesting is None:
        max_nesting = settings.LINEAGE_MAX_NESTING
    try:
        serialized = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:
        # orjson 3.13 raises "Recursion limit reached" at 255 levels of nesting.
        serialized = None
    _check_structure(payload, serialized, max_nesting)

    warnings: list[IngestWarning] = []
    event_time = _read_event_time(payload, warnings)
    event = ParsedEvent(
        event_type=_event_type(payload),
        run_state=_run_state(payload),
        event_time=event_time,
        event_hash=hashlib.sha256(serialized).hexdigest(),
        payload=payload,
        producer=_optional_text(payload, "producer", warnings),
        schema_url=_optional_text(payload, "schemaURL", warnings),
        warnings=warnings,
    )
    if event.event_type == "DatasetEvent":
        event.dataset = _read_dataset(payload["dataset"], "dataset", warnings)
        return event
    if event.event_type == "RunEvent":
        _read_run(event, payload["run"], warnings)
    _read_job(event, payload.get("job"), warnings)
    event.inputs = _read_datasets(payload, "inputs", warnings)
    event.outputs = _read_datasets(payload, "outputs", warnings)
    return event


def _event_type(payload: dict) -> str:
    # A `run` key makes a RunEvent even beside a `dataset` key, as in the
    # spec's own full example, and eventType may be absent before spec 2-0-0.
    if "run" in payload:
        return "RunEvent"
    if "dataset" in payload:
        return "DatasetEvent"
    if "job" in payload:
        return "JobEvent"
    raise EventRejected(
        "The event has no run, job or dataset, so it is neither a RunEvent, "
        "a JobEvent nor a DatasetEvent.",
        field="job",
        code="required",
    )


def _run_state(payload: dict) -> str:
    state = payload.get("eventType")
    if state is None:
        return ""
    if not isinstance(state, str) or state not in RUN_STATES:
        raise EventRejected(
            "eventType must be one of START, RUNNING, COMPLETE, FAIL, ABORT or OTHER.",
            field="eventType",
        )
    return state if "run" in payload else ""


def _read_event_time(payload: dict, warnings: list[IngestWarning]):
    text = payload.get("eventTime")
    if text is None:
        raise EventRejected("eventTime is missing.", field="eventTime", code="required")
    parsed = parse_date_time(text) if isinstance(text, str) else None
    if parsed is None:
        raise EventRejected(
            "eventTime must be an ISO 8601 date-time with a time part, such as "
            "2024-05-01T10:00:00.000Z.",
            field="eventTime",
        )
    value, has_offset = parsed
    if not has_offset:
        warnings.append(
            IngestWarning(
                "eventTime", "eventTime has no UTC offset and was read as UTC."
            )
        )
    return value


def _optional_text(payload: dict, key: str, warnings: list[IngestWarning]) -> str:
    value = payload.get(key)
    if isinstance(value, str) and value:
        return value
    if value is None or value == "":
        message = f"{key} is missing."
    else:
        message = f"{key} must be a string and was ignored."
    warnings.append(IngestWarning(key, message))
    return ""


def _required_name(container: dict, key: str, path: str) -> str:
    value = container.get(key)
    field = f"{path}.{key}"
    if value is None:
        raise EventRejected(f"{field} is missing.", field=field, code="required")
    if not isinstance(value, str):
        raise EventRejected(
            f"{field} must be a string, not {_json_type(value)}.", field=field
        )
    if not value:
        raise EventRejected(f"{field} is empty.", field=field, code="required")
    return value


def _require_object(value, path: str) -> dict:
    if not isinstance(value, dict):
        raise EventRejected(
            f"{path} must be a JSON object, not {_json_type(value)}.", field=path
        )
    return value


def _read_run(event: ParsedEvent, run, warnings: list[IngestWarning]) -> None:
    run = _require_object(run, "run")
    run_id = run.get("runId")
    if run_id is None:
        raise EventRejected(
            "run.runId is missing: a RunEvent needs the UUID of its run.",
            field="run.runId",
            code="required",
        )
    event.run_id = _read_uuid(run_id, "run.runId")
    facets, invalid = _read_facets(run, "facets", "run", "run.facets", warnings)
    event.run_facets = facets
    event.invalid_run_facets = invalid
    if parent := _interpretable(facets, invalid, "parent"):
        event.parent = _interpret_parent(parent, warnings)
    if nominal := _interpretable(facets, invalid, "nominalTime"):
        event.nominal_start_time = _facet_time(
            nominal, "nominalStartTime", "run.facets.nominalTime", warnings
        )
        event.nominal_end_time = _facet_time(
            nominal, "nominalEndTime", "run.facets.nominalTime", warnings
        )


def _read_uuid(value, field: str) -> UUID:
    if isinstance(value, str):
        try:
            return UUID(value)
        except ValueError:
            pass
    raise EventRejected(
        f"{field} must be a UUID, such as 01934f5e-0000-7000-8000-000000000001.",
        field=field,
    )


def _interpret_parent(facet: dict, warnings: list[IngestWarning]) -> ParentRun:
    run_id = (facet.get("run") or {}).get("runId")
    if run_id is None:
        warnings.append(
            IngestWarning(
                "run.facets.parent.run.runId",
                "The parent facet names no run, so the run is linked to its "
                "parent job only.",
            )
        )
    return ParentRun(
        job_namespace=facet["job"]["namespace"],
        job_name=facet["job"]["name"],
        run_id=UUID(run_id) if run_id is not None else None,
    )


def _facet_time(facet: dict, key: str, path: str, warnings: list[IngestWarning]):
    text = facet.get(key)
    if text is None:
        return None
    value, has_offset = parse_date_time(text)
    if not has_offset:
        warnings.append(
            IngestWarning(
                f"{path}.{key}", f"{key} has no UTC offset and was read as UTC."
            )
        )
    return value


def _read_job(event: ParsedEvent, job, warnings: list[IngestWarning]) -> None:
    if job is None:
        raise EventRejected("job is missing.", field="job", code="required")
    job = _require_object(job, "job")
    event.job_namespace = _required_name(job, "namespace", "job")
    event.job_name = _required_name(job, "name", "job")
    event.job_facets, event.invalid_job_facets = _read_facets(
        job, "facets", "job", "job.facets", warnings
    )


def _read_datasets(payload: dict, key: str, warnings: list[IngestWarning]) -> list:
    datasets = payload.get(key)
    if datasets is None:
        return []
    if not isinstance(datasets, list):
        raise EventRejected(
            f"{key} must be a JSON array, not {_json_type(datasets)}.", field=key
        )
    io_kind = "input" if key == "inputs" else "output"
    parsed = []
    for index, dataset in enumerate(datasets):
        path = f"{key}[{index}]"
        item = _read_dataset(dataset, path, warnings)
        item.io_facets, _ = _read_facets(
            dataset, f"{io_kind}Facets", io_kind, f"{path}.{io_kind}Facets", warnings
        )
        parsed.append(item)
    return parsed


def _read_dataset(dataset, path: str, warnings: list[IngestWarning]) -> ParsedDataset:
    dataset = _require_object(dataset, path)
    facets, invalid = _read_facets(
        dataset, "facets", "dataset", f"{path}.facets", warnings
    )
    parsed = ParsedDataset(
        namespace=_required_name(dataset, "namespace", path),
        name=_required_name(dataset, "name", path),
        facets=facets,
        invalid_facets=invalid,
    )
    if schema := _interpretable(facets, invalid, "schema"):
        parsed.schema_fields = _interpret_schema(schema.get("fields") or [])
    if symlinks := _interpretable(facets, invalid, "symlinks"):
        parsed.symlinks = tuple(
            DatasetIdentifier(item["namespace"], item["name"], item["type"])
            for item in symlinks.get("identifiers") or []
        )
    if column_lineage := _interpretable(facets, invalid, "columnLineage"):
        parsed.column_lineage = _interpret_column_lineage(column_lineage)
    return parsed


def _interpretable(facets: dict, invalid: frozenset[str], name: str) -> dict | None:
    """Return the facet `name` if it is there to be interpreted.

    A facet that broke its schema is not, nor one marked `_deleted: true`. That
    marker means the facet was removed, so it skips the shape check and is
    stored only as the facet's latest value.
    """
    facet = facets.get(name)
    if facet is None or name in invalid or facet.get("_deleted") is True:
        return None
    return facet


def _read_facets(
    container: dict, key: str, kind: str, path: str, warnings: list[IngestWarning]
) -> tuple[dict, frozenset[str]]:
    """Return the facets without null ones, and the names of those that break
    their schema. Both problems are reported as warnings."""
    facets = container.get(key)
    if facets is None:
        return {}, frozenset()
    if not isinstance(facets, dict):
        raise EventRejected(
            f"{path} must be a JSON object, not {_json_type(facets)}.", field=path
        )
    kept = {}
    invalid = []
    for name, facet in facets.items():
        if facet is None:
            warnings.append(
                IngestWarning(f"{path}.{name}", "The facet is null and was ignored.")
            )
            continue
        kept[name] = facet
        problem = facet_problem(kind, name, facet)
        if problem is not None:
            invalid.append(name)
            warnings.append(
                IngestWarning(
                    f"{path}.{name}",
                    f"The {name} facet is invalid ({problem}). It is stored as "
                    "sent and not interpreted.",
                )
            )
    return kept, frozenset(invalid)


def _interpret_schema(fields: list) -> list[dict]:
    """Return schema fields as {name, type, description} plus nested `fields`.

    The spec's schema facet has no nullability, but some producers add a
    boolean `nullable` to a field; it is kept, since data contracts check it.
    """
    interpreted = []
    for field in fields:
        item = {
            "name": field["name"],
            "type": field.get("type") or "",
            "description": field.get("description") or "",
        }
        if isinstance(field.get("nullable"), bool):
            item["nullable"] = field["nullable"]
        if field.get("fields"):
            item["fields"] = _interpret_schema(field["fields"])
        interpreted.append(item)
    return interpreted


def _interpret_column_lineage(facet: dict) -> dict[str, tuple]:
    lineage = {}
    for output_field, entry in facet["fields"].items():
        # Older versions of the facet describe the transformation once per
        # output field (transformationType and -Description), not per input field.
        legacy = ()
        if entry.get("transformationType") or entry.get("transformationDescription"):
            legacy_type = entry.get("transformationType") or ""
            legacy = (
                {
                    "type": "DIRECT",
                    "subtype": legacy_type,
                    "description": entry.get("transformationDescription") or "",
                    "masking": legacy_type == "MASKED",
                },
            )
        lineage[output_field] = tuple(
            ColumnLineageInput(
                namespace=item["namespace"],
                name=item["name"],
                field=item["field"],
                transformations=tuple(item.get("transformations") or legacy),
            )
            for item in entry["inputFields"]
        )
    return lineage


def _check_structure(payload: dict, serialized: bytes | None, max_nesting: int):
    # JSON text can only carry NUL as the escape \u0000, so the serialized
    # bytes show at C speed whether the slower walk to find it is needed.
    has_nul = serialized is None or b"\\u0000" in serialized
    if not has_nul and serialized.count(b"{") + serialized.count(b"[") <= max_nesting:
        return
    problem = _find_problem(payload, 1, max_nesting, has_nul)
    if problem is None:
        if serialized is not None:
            return
        problem = ("", "too_deep")
    path, code = problem
    field = path or None
    if code == "too_deep":
        raise EventRejected(
            f"The event is nested deeper than {max_nesting} levels.",
            field=field,
            code="too_deep",
        )
    raise EventRejected(
        f"{path} contains a NUL character (\\u0000), which cannot be stored.",
        field=field,
        code="nul_character",
    )


def _find_problem(value, depth: int, max_nesting: int, has_nul: bool):
    """Return (dotted path, code) of the first NUL or too-deep value, or None."""
    if isinstance(value, str):
        return ("", "nul_character") if "\x00" in value else None
    if depth > max_nesting:
        return "", "too_deep"
    if isinstance(value, dict):
        for key, item in value.items():
            if has_nul and "\x00" in key:
                return _child_path("", key), "nul_character"
            if isinstance(item, dict | list) or (has_nul and isinstance(item, str)):
                found = _find_problem(item, depth + 1, max_nesting, has_nul)
                if found is not None:
                    return _child_path(found[0], key), found[1]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list) or (has_nul and isinstance(item, str)):
                found = _find_problem(item, depth + 1, max_nesting, has_nul)
                if found is not None:
                    return f"[{index}]{_dot(found[0])}", found[1]
    return None


def _dot(path: str) -> str:
    if not path or path.startswith("["):
        return path
    return f".{path}"


def _child_path(path: str, key: str) -> str:
    return f"{key}{_dot(path)}"
