"""Contract schemas: validation messages and the comparison, without the database."""

import pytest

from catalog.contracts.schema import (
    MAX_DEPTH,
    MAX_FIELDS,
    SchemaInvalid,
    conformance_breaks,
    evolution_breaks,
    ingested_fields,
    normalise_type,
    parse_fields,
    parse_proposed_schema,
    parse_version,
    proposed_schema_breaks,
)


def contract(*fields) -> list:
    return parse_fields(list(fields))


def changes(found) -> list[tuple]:
    return [(c.kind, c.field_path, c.expected, c.actual) for c in found]


@pytest.mark.parametrize(
    ("names", "normal"),
    [
        (("int", "INTEGER", "Int32"), "int32"),
        (("bigint", "LONG", "int64"), "int64"),
        (("smallint", "short", "INT16"), "int16"),
        (("string", "VARCHAR", "text", "Character  Varying"), "string"),
        (("double", "DOUBLE PRECISION", "float64"), "float64"),
        (("real", "float32"), "float32"),
        (("bool", "BOOLEAN"), "boolean"),
    ],
)
def test_type_aliases_normalised(names, normal):
    assert {normalise_type(name) for name in names} == {normal}


def test_ambiguous_types_not_normalised():
    assert normalise_type("FLOAT") == "float"
    assert normalise_type("int8") == "int8"
    assert normalise_type("varchar(20)") != normalise_type("varchar(40)")


def test_removed_nested_field_named_by_dotted_path():
    expected = contract(
        {
            "name": "address",
            "type": "struct",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    actual = ingested_fields(
        [
            {
                "name": "address",
                "type": "struct",
                "fields": [{"name": "zip", "type": "string"}],
            }
        ]
    )

    assert changes(conformance_breaks(expected, actual)) == [
        ("field_removed", "address.city", "string", "")
    ]


def test_changed_type_reported_once_without_nested_fields():
    expected = contract(
        {
            "name": "address",
            "type": "struct",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    actual = ingested_fields([{"name": "address", "type": "string"}])

    assert changes(conformance_breaks(expected, actual)) == [
        ("type_changed", "address", "struct", "string")
    ]


def test_struct_without_nested_fields_compared_by_type():
    expected = contract(
        {
            "name": "address",
            "type": "struct",
            "fields": [{"name": "city", "type": "string"}],
        }
    )
    actual = ingested_fields([{"name": "address", "type": "STRUCT"}])

    assert conformance_breaks(expected, actual) == []


def test_unknown_type_or_nullability_is_no_violation():
    expected = contract({"name": "id", "type": "bigint", "nullable": False})
    actual = ingested_fields([{"name": "id"}])

    assert conformance_breaks(expected, actual) == []


def test_loosened_nullability_breaks():
    expected = contract({"name": "id", "type": "bigint", "nullable": False})
    proposed = parse_proposed_schema([{"name": "id", "type": "long", "nullable": True}])

    assert changes(conformance_breaks(expected, proposed)) == [
        ("nullability_loosened", "id", "not nullable", "nullable")
    ]


def test_added_optional_field_is_compatible_under_every_rule():
    expected = contract({"name": "id", "type": "bigint"})
    proposed = parse_proposed_schema(
        {
            "fields": [
                {"name": "id", "type": "bigint"},
                {"name": "note", "type": "string"},
                {"name": "tag", "type": "string", "nullable": True},
            ]
        }
    )

    for rule in ("forward", "backward", "full", "none"):
        assert proposed_schema_breaks(expected, proposed, rule) == []


@pytest.mark.parametrize(
    ("rule", "breaks"), [("forward", False), ("backward", True), ("full", True)]
)
def test_added_required_field_breaks_backward_and_full(rule, breaks):
    expected = contract({"name": "id", "type": "bigint"})
    proposed = parse_proposed_schema(
        [
            {"name": "id", "type": "bigint"},
            {"name": "code", "type": "int", "nullable": False},
        ]
    )

    found = changes(proposed_schema_breaks(expected, proposed, rule))

    assert found == ([("required_field_added", "code", "", "int")] if breaks else [])


PREVIOUS = [
    {"name": "id", "type": "bigint", "nullable": False},
    {"name": "note", "type": "string"},
]


@pytest.mark.parametrize(
    ("new", "rule", "expected"),
    [
        # Removing a field breaks consumers of the previous version.
        ([PREVIOUS[0]], "forward", [("field_removed", "note", "string", "")]),
        ([PREVIOUS[0]], "backward", []),
        ([PREVIOUS[0]], "full", [("field_removed", "note", "string", "")]),
        ([PREVIOUS[0]], "none", []),
        # A required field breaks consumers of the new version reading old data.
        (
            [*PREVIOUS, {"name": "code", "type": "int", "nullable": False}],
            "forward",
            [],
        ),
        (
            [*PREVIOUS, {"name": "code", "type": "int", "nullable": False}],
            "backward",
            [("required_field_added", "code", "", "int")],
        ),
        # Nullability: loosening breaks forward, tightening breaks backward.
        (
            [{"name": "id", "type": "bigint"}, PREVIOUS[1]],
            "forward",
            [("nullability_loosened", "id", "not nullable", "nullable")],
        ),
        ([{"name": "id", "type": "bigint"}, PREVIOUS[1]], "backward", []),
        (
            [PREVIOUS[0], {"name": "note", "type": "string", "nullable": False}],
            "backward",
            [("nullability_tightened", "note", "nullable", "not nullable")],
        ),
        (
            [PREVIOUS[0], {"name": "note", "type": "string", "nullable": False}],
            "forward",
            [],
        ),
        # A type change breaks both directions.
        (
            [{"name": "id", "type": "string", "nullable": False}, PREVIOUS[1]],
            "backward",
            [("type_changed", "id", "bigint", "string")],
        ),
        ([{"name": "id", "type": "INT64", "nullable": False}, PREVIOUS[1]], "full", []),
    ],
)
def test_evolution_rules(new, rule, expected):
    found = evolution_breaks(parse_fields(PREVIOUS), parse_fields(new), rule)

    assert changes(found) == expected


def test_fields_normalised_with_defaults():
    assert parse_fields([{"name": "id", "type": "int"}]) == [
        {"name": "id", "type": "int", "nullable": True, "description": ""}
    ]
    assert parse_proposed_schema([{"name": "id", "type": "int"}]) == [
        {"name": "id", "type": "int", "nullable": None, "description": ""}
    ]


@pytest.mark.parametrize(
    ("fields", "path", "message"),
    [
        ({"name": "id"}, "fields", "Expected a list of fields."),
        (["id"], "fields[0]", "Expected a field object."),
        ([{"type": "int"}], "fields[0].name", "This field is required."),
        (
            [{"name": " ", "type": "int"}],
            "fields[0].name",
            "This field may not be blank.",
        ),
        ([{"name": 3, "type": "int"}], "fields[0].name", "Expected text."),
        (
            [{"name": "a", "type": "int"}, {"name": "b", "type": "int"}, {"name": "c"}],
            "fields[2].type",
            "This field is required.",
        ),
        ([{"name": "a", "type": ""}], "fields[0].type", "This field may not be blank."),
        (
            [{"name": "a", "type": "int", "nullable": "no"}],
            "fields[0].nullable",
            "Expected true or false.",
        ),
        (
            [{"name": "a", "type": "int"}, {"name": "a", "type": "string"}],
            "fields[1].name",
            "Duplicate field name 'a' at this level.",
        ),
        (
            [
                {
                    "name": "a",
                    "type": "struct",
                    "fields": [{"name": "b", "type": "x", "size": 3}],
                }
            ],
            "fields[0].fields[0].size",
            "Unknown key 'size': a field has name, type, nullable, description and "
            "fields.",
        ),
        (
            [{"name": "a" * 501, "type": "int"}],
            "fields[0].name",
            "Too long: 501 characters, the maximum is 500.",
        ),
    ],
)
def test_invalid_fields_named_by_path(fields, path, message):
    with pytest.raises(SchemaInvalid) as raised:
        parse_fields(fields)

    assert raised.value.path == path
    assert raised.value.message == message


def test_same_name_allowed_at_different_levels():
    fields = [{"name": "a", "type": "struct", "fields": [{"name": "a", "type": "int"}]}]

    assert parse_fields(fields)[0]["fields"][0]["name"] == "a"


def test_depth_limit():
    fields = [{"name": "leaf", "type": "int"}]
    for _ in range(MAX_DEPTH):
        fields = [{"name": "level", "type": "struct", "fields": fields}]

    with pytest.raises(SchemaInvalid) as raised:
        parse_fields(fields)

    assert raised.value.path == "fields[0]" + ".fields[0]" * (MAX_DEPTH - 1) + ".fields"
    assert raised.value.message == (
        f"Fields are nested too deep: the maximum depth is {MAX_DEPTH}."
    )


def test_size_limit():
    fields = [{"name": f"f{index}", "type": "int"} for index in range(MAX_FIELDS + 1)]

    with pytest.raises(SchemaInvalid) as raised:
        parse_fields(fields)

    assert raised.value.path == f"fields[{MAX_FIELDS}]"
    assert raised.value.message == f"Too many fields: the maximum is {MAX_FIELDS}."


def test_proposed_facet_ignores_facet_keys_only():
    facet = {
        "_producer": "x",
        "_schemaURL": "y",
        "fields": [{"name": "a", "type": "int"}],
    }

    assert parse_proposed_schema(facet)[0]["name"] == "a"
    with pytest.raises(SchemaInvalid) as raised:
        parse_proposed_schema({"columns": []})
    assert raised.value.path == "schema.columns"
    assert (
        raised.value.message == "Unknown key 'columns': a schema facet has only fields."
    )


@pytest.mark.parametrize("version", ["1.0", "01.0.0", "1.0.0-rc.1", "v1.0.0", "", 1])
def test_invalid_versions_rejected(version):
    with pytest.raises(SchemaInvalid) as raised:
        parse_version(version)

    assert raised.value.path == "version"
    assert raised.value.message == (
        "Invalid version: use a semantic version MAJOR.MINOR.PATCH of whole numbers "
        "without leading zeros, such as 1.0.0."
    )


def test_version_parts_parsed():
    assert parse_version("10.0.3") == (10, 0, 3)
    with pytest.raises(SchemaInvalid) as raised:
        parse_version("2147483648.0.0")
    assert (
        raised.value.message
        == "Invalid version: each number must be at most 2147483647."
    )
