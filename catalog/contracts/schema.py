"""Contract schemas: strict validation, and the comparison of two schemas.

A schema is a list of fields in the shape of OpenLineage's SchemaDatasetFacet
plus nullability: `[{"name", "type", "nullable", "description", "fields"}]`,
where `fields` contains the nested fields of a struct. Nothing here touches the
database.

Field types are compared after lower-casing, collapsing whitespace and mapping
these aliases to one name: int, integer, int32; bigint, long, int64; smallint,
short, int16; string, varchar, text, character varying; double, double
precision, float64; real, float32; bool, boolean. `float` is left alone
because it means 32 bits in Spark and Avro but 64 in PostgreSQL and BigQuery,
and so is `int8` (a bigint in PostgreSQL, a byte in Arrow). Parameters are
compared as written, so `varchar(20)` and `varchar(40)` differ.

Nullability may be unknown: OpenLineage's standard schema facet has no
`nullable`, so an ingested field never states it. An unknown nullability is
never a violation, and an added field whose nullability is unknown counts as
optional.
"""

import re
from dataclasses import dataclass

from django.db import models

from catalog.models import ContractViolation, DataContract

MAX_DEPTH = 10
MAX_FIELDS = 2000
MAX_NAME_LENGTH = 500
MAX_TYPE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5000
FIELD_KEYS = ("name", "type", "nullable", "description", "fields")

TYPE_ALIASES = {
    "int": "int32",
    "integer": "int32",
    "bigint": "int64",
    "long": "int64",
    "smallint": "int16",
    "short": "int16",
    "varchar": "string",
    "text": "string",
    "character varying": "string",
    "double": "float64",
    "double precision": "float64",
    "real": "float32",
    "bool": "boolean",
}

_VERSION = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
# PositiveIntegerField's maximum in PostgreSQL.
MAX_VERSION_PART = 2**31 - 1


def _kind(kind: ContractViolation.Kind) -> tuple[str, str]:
    return kind.value, kind.label


class BreakingKind(models.TextChoices):
    """Kinds of breaking change: ContractViolation's kinds, which an ingested
    schema can cause, plus two that only contract evolution and the CI check
    report."""

    FIELD_REMOVED = _kind(ContractViolation.Kind.FIELD_REMOVED)
    TYPE_CHANGED = _kind(ContractViolation.Kind.TYPE_CHANGED)
    NULLABILITY_LOOSENED = _kind(ContractViolation.Kind.NULLABILITY_LOOSENED)
    REQUIRED_FIELD_ADDED = "required_field_added", "required field added"
    NULLABILITY_TIGHTENED = "nullability_tightened", "nullability tightened"


# Differences that break the contract for its consumers: they read data in the
# contract's shape, so a missing field, another type or an unexpected null
# breaks them. An ingested schema is checked for these whatever the rule.
CONFORMANCE_KINDS = frozenset(
    {
        BreakingKind.FIELD_REMOVED,
        BreakingKind.TYPE_CHANGED,
        BreakingKind.NULLABILITY_LOOSENED,
    }
)
# Differences that stop consumers of a new version from reading data written
# in the previous version's shape.
READS_PREVIOUS_KINDS = frozenset(
    {
        BreakingKind.TYPE_CHANGED,
        BreakingKind.REQUIRED_FIELD_ADDED,
        BreakingKind.NULLABILITY_TIGHTENED,
    }
)
Compatibility = DataContract.Compatibility
# The directions are Confluent Schema Registry's: forward lets consumers of the
# previous version read data in the new shape, backward lets consumers of the
# new version read data written before it.
EVOLUTION_KINDS = {
    Compatibility.FORWARD: CONFORMANCE_KINDS,
    Compatibility.BACKWARD: READS_PREVIOUS_KINDS,
    Compatibility.FULL: CONFORMANCE_KINDS | READS_PREVIOUS_KINDS,
    Compatibility.NONE: frozenset(),
}


class SchemaInvalid(ValueError):
    """A schema that cannot be used; `path` names the offending value."""

    def __init__(self, path: str, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class BreakingChange:
    kind: str
    # Dotted path of the field, nested fields included ("address.city").
    field_path: str
    expected: str
    actual: str

    def as_dict(self) -> dict:
        return {
            "kind": str(self.kind),
            "field_path": self.field_path,
            "expected": self.expected,
            "actual": self.actual,
        }

    def describe(self) -> str:
        label = BreakingKind(self.kind).label
        text = f"{label} at {self.field_path}"
        if self.expected or self.actual:
            text += f" (expected {self.expected or 'none'}"
            text += f", actual {self.actual or 'none'})"
        return text


def count_changes(count: int) -> str:
    """Format a count of breaking changes: "1 breaking change", "2 breaking changes"."""
    return f"{count} breaking change{'' if count == 1 else 's'}"


def parse_version(version: str) -> tuple[int, int, int]:
    """Return MAJOR, MINOR and PATCH of a semantic version such as `1.4.0`.

    Pre-release and build suffixes are rejected: a contract version is a
    release.
    """
    match = _VERSION.fullmatch(version) if isinstance(version, str) else None
    if match is None:
        raise SchemaInvalid(
            "version",
            "Invalid version: use a semantic version MAJOR.MINOR.PATCH of whole "
            "numbers without leading zeros, such as 1.0.0.",
        )
    parts = tuple(int(part) for part in match.groups())
    if max(parts) > MAX_VERSION_PART:
        raise SchemaInvalid(
            "version",
            f"Invalid version: each number must be at most {MAX_VERSION_PART}.",
        )
    return parts


def parse_fields(value, *, path: str = "fields", nullable_default=True) -> list:
    """Validate schema fields and return them in a normal form.

    Every returned field has `name`, `type`, `nullable`, `description`, and
    `fields` when it has nested fields. A missing `nullable` becomes
    `nullable_default`: True for a contract, None (unknown) for a proposed
    schema. Raises SchemaInvalid naming the first invalid value.
    """
    counter = [0]
    return _parse_level(value, path, 1, nullable_default, counter)


def parse_proposed_schema(value, *, path: str = "schema") -> list:
    """Validate a proposed schema: a SchemaDatasetFacet `{"fields": [...]}` or a
    list of fields. Facet keys that start with `_` (`_producer`, `_schemaURL`)
    are ignored."""
    if isinstance(value, dict):
        unknown = sorted(key for key in value if key != "fields" and key[:1] != "_")
        if unknown:
            raise SchemaInvalid(
                _join(path, unknown[0]),
                f"Unknown key {unknown[0]!r}: a schema facet has only fields.",
            )
        fields_path = _join(path, "fields")
        if "fields" not in value:
            raise SchemaInvalid(fields_path, "This field is required.")
        return parse_fields(value["fields"], path=fields_path, nullable_default=None)
    return parse_fields(value, path=path, nullable_default=None)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _parse_level(value, path: str, depth: int, nullable_default, counter) -> list:
    if not isinstance(value, list):
        raise SchemaInvalid(path, "Expected a list of fields.")
    if depth > MAX_DEPTH:
        raise SchemaInvalid(
            path, f"Fields are nested too deep: the maximum depth is {MAX_DEPTH}."
        )
    parsed = []
    seen = set()
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        counter[0] += 1
        if counter[0] > MAX_FIELDS:
            raise SchemaInvalid(
                item_path, f"Too many fields: the maximum is {MAX_FIELDS}."
            )
        field = _parse_field(item, item_path, depth, nullable_default, counter)
        if field["name"] in seen:
            raise SchemaInvalid(
                f"{item_path}.name",
                f"Duplicate field name {field['name']!r} at this level.",
            )
        seen.add(field["name"])
        parsed.append(field)
    return parsed


def _parse_field(item, path: str, depth: int, nullable_default, counter) -> dict:
    if not isinstance(item, dict):
        raise SchemaInvalid(path, "Expected a field object.")
    unknown = sorted(key for key in item if key not in FIELD_KEYS)
    if unknown:
        raise SchemaInvalid(
            f"{path}.{unknown[0]}",
            f"Unknown key {unknown[0]!r}: a field has name, type, nullable, "
            "description and fields.",
        )
    field = {
        "name": _text(item, "name", path, MAX_NAME_LENGTH, required=True),
        "type": _text(item, "type", path, MAX_TYPE_LENGTH, required=True),
        "nullable": nullable_default,
        "description": _text(item, "description", path, MAX_DESCRIPTION_LENGTH),
    }
    if "nullable" in item:
        if not isinstance(item["nullable"], bool):
            raise SchemaInvalid(f"{path}.nullable", "Expected true or false.")
        field["nullable"] = item["nullable"]
    nested = item.get("fields")
    if nested is not None:
        nested = _parse_level(
            nested, f"{path}.fields", depth + 1, nullable_default, counter
        )
        if nested:
            field["fields"] = nested
    return field


def _text(item: dict, key: str, path: str, max_length: int, required=False) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        message = "This field is required." if value is None else "Expected text."
        raise SchemaInvalid(f"{path}.{key}", message)
    if required and not value.strip():
        raise SchemaInvalid(f"{path}.{key}", "This field may not be blank.")
    if len(value) > max_length:
        raise SchemaInvalid(
            f"{path}.{key}",
            f"Too long: {len(value)} characters, the maximum is {max_length}.",
        )
    return value


def ingested_fields(fields) -> list:
    """Read the fields of a stored SchemaVersion into the normal form.

    Ingestion keeps fields as sent, with name, type, description and nested
    fields, and drops anything else, so nullability is always unknown. Entries
    that are not objects are skipped, and of two fields with one name at one
    level the first is used.
    """
    if not isinstance(fields, list):
        return []
    read = []
    for item in fields:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        nullable = item.get("nullable")
        field = {
            "name": item["name"],
            "type": str(item.get("type") or ""),
            "nullable": nullable if isinstance(nullable, bool) else None,
        }
        nested = ingested_fields(item.get("fields"))
        if nested:
            field["fields"] = nested
        read.append(field)
    return read


def normalise_type(type_name: str) -> str:
    text = " ".join(type_name.lower().split())
    return TYPE_ALIASES.get(text, text)


def schema_differences(expected: list, actual: list) -> list[BreakingChange]:
    """Return every difference of `actual` from `expected` that may break someone.

    Both are lists in the normal form. The caller keeps the kinds that matter
    to it (see CONFORMANCE_KINDS and EVOLUTION_KINDS). An empty type in
    `actual` is unknown and not compared. A field of `actual` without nested
    fields is compared by its type only, because producers often leave the
    nested fields of a struct out.
    """
    differences: list[BreakingChange] = []
    _compare_level(expected, actual, "", differences)
    return differences


def _compare_level(expected: list, actual: list, prefix: str, out: list) -> None:
    actual_by_name = {}
    for field in actual:
        actual_by_name.setdefault(field["name"], field)
    expected_names = set()
    for field in expected:
        expected_names.add(field["name"])
        path = prefix + field["name"]
        other = actual_by_name.get(field["name"])
        if other is None:
            out.append(
                BreakingChange(BreakingKind.FIELD_REMOVED, path, field["type"], "")
            )
            continue
        _compare_field(field, other, path, out)
    for field in actual:
        if field["name"] not in expected_names and field["nullable"] is False:
            out.append(
                BreakingChange(
                    BreakingKind.REQUIRED_FIELD_ADDED,
                    prefix + field["name"],
                    "",
                    field["type"],
                )
            )


def _compare_field(expected: dict, actual: dict, path: str, out: list) -> None:
    if actual["type"] and normalise_type(expected["type"]) != normalise_type(
        actual["type"]
    ):
        out.append(
            BreakingChange(
                BreakingKind.TYPE_CHANGED, path, expected["type"], actual["type"]
            )
        )
        # Nested fields under a different type cannot be compared.
        return
    if expected["nullable"] is False and actual["nullable"] is True:
        out.append(
            BreakingChange(
                BreakingKind.NULLABILITY_LOOSENED, path, "not nullable", "nullable"
            )
        )
    if expected["nullable"] is True and actual["nullable"] is False:
        out.append(
            BreakingChange(
                BreakingKind.NULLABILITY_TIGHTENED, path, "nullable", "not nullable"
            )
        )
    if expected.get("fields") and actual.get("fields"):
        _compare_level(expected["fields"], actual["fields"], f"{path}.", out)


def conformance_breaks(contract_fields: list, actual: list) -> list[BreakingChange]:
    """Breaking changes of an actual schema against a contract's fields."""
    return [
        change
        for change in schema_differences(contract_fields, actual)
        if change.kind in CONFORMANCE_KINDS
    ]


def evolution_breaks(
    previous: list, new: list, compatibility: str
) -> list[BreakingChange]:
    """Breaking changes of a new contract version under the previous one's rule."""
    kinds = EVOLUTION_KINDS[compatibility]
    return [
        change for change in schema_differences(previous, new) if change.kind in kinds
    ]


def proposed_schema_breaks(
    contract_fields: list, proposed: list, compatibility: str
) -> list[BreakingChange]:
    """Breaking changes of a schema a pipeline proposes to write.

    Every conformance break counts. An added required field also breaks a
    contract whose rule is backward or full, because consumers on that rule
    must be able to read data written before the field existed.
    """
    kinds = set(CONFORMANCE_KINDS)
    if compatibility in (Compatibility.BACKWARD, Compatibility.FULL):
        kinds.add(BreakingKind.REQUIRED_FIELD_ADDED)
    return [
        change
        for change in schema_differences(contract_fields, proposed)
        if change.kind in kinds
    ]
