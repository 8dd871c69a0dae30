"""Filters for the lineage pages: durations, facets, run states, schema trees."""

import json
from datetime import timedelta

from django import template

from lineage import graph
from lineage.models import Job

register = template.Library()

# Pages show at most this much of one facet and of one schema: a single
# columnLineage facet can be megabytes. The API returns them whole.
MAX_FACET_CHARS = 20_000
MAX_SCHEMA_ROWS = 500
# Lists of related jobs and datasets on a detail page stop at this many.
MAX_LIST_ROWS = 100

_STATE_BADGE_CLASSES = {
    "COMPLETE": "text-bg-success",
    "FAIL": "text-bg-danger",
    "ABORT": "text-bg-warning",
    "START": "text-bg-primary",
    "RUNNING": "text-bg-primary",
    "OTHER": "text-bg-secondary",
}


@register.filter
def duration(value: timedelta | None) -> str:
    """Format a run's duration as "850 ms", "4.5 s" or "1 h 2 min 5 s".

    A missing or negative duration (a run not finished, or clocks that disagree)
    gives an em dash.
    """
    if value is None or value < timedelta(0):
        return "—"
    seconds = value.total_seconds()
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f}".removesuffix(".0") + " s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{minutes} min", f"{seconds} s"]
    if hours:
        parts.insert(0, f"{hours} h")
    return " ".join(parts)


@register.filter
def state_badge_class(state: str) -> str:
    return _STATE_BADGE_CLASSES.get(state, "text-bg-light border")


@register.filter
def pretty_json(value) -> str:
    """Indent a facet for a <pre>. The template escapes the result like any text."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)


@register.filter
def first_rows(items: list) -> list:
    return items[:MAX_LIST_ROWS]


@register.filter
def rows_left(items: list) -> int:
    """Count the `items` that `first_rows` leaves out."""
    return max(0, len(items) - MAX_LIST_ROWS)


@register.filter
def facet_preview(value) -> dict:
    """Indent a facet, cut at MAX_FACET_CHARS: `text`, and `more` characters left."""
    text = pretty_json(value)
    return {"text": text[:MAX_FACET_CHARS], "more": max(0, len(text) - MAX_FACET_CHARS)}


@register.filter
def node_id(obj) -> str:
    """Build the lineage graph id of a Job or Dataset: `job:<ns>:<name>`."""
    if isinstance(obj, Job):
        return graph.job_node_id(obj)
    return graph.dataset_node_id(obj)


@register.filter
def schema_rows(fields) -> list[dict]:
    """Flatten SchemaDatasetFacet fields into rows with a nesting `depth`.

    Entries that are not objects are skipped: facets are stored as sent. Stops
    after MAX_SCHEMA_ROWS rows; `field_count` counts them all.
    """
    rows: list[dict] = []
    _append_rows(rows, fields, depth=0)
    return rows


def _append_rows(rows: list[dict], fields, depth: int) -> None:
    if not isinstance(fields, list):
        return
    for field in fields:
        if len(rows) >= MAX_SCHEMA_ROWS:
            return
        if not isinstance(field, dict):
            continue
        rows.append(
            {
                "name": str(field.get("name", "")),
                "type": str(field.get("type") or ""),
                "description": str(field.get("description") or ""),
                "depth": depth,
            }
        )
        _append_rows(rows, field.get("fields"), depth + 1)


@register.filter
def schema_table(fields) -> dict:
    """Return the `rows` of `schema_rows` and how many fields are `more`."""
    rows = schema_rows(fields)
    return {"rows": rows, "more": field_count(fields) - len(rows)}


@register.filter
def field_count(fields) -> int:
    """Count the fields `schema_rows` would list without its cap."""
    if not isinstance(fields, list):
        return 0
    return sum(
        1 + field_count(field.get("fields"))
        for field in fields
        if isinstance(field, dict)
    )
