"""`manage.py check_contract`: the CI check from a shell, with its exit codes."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.catalog.contract_helpers import (
    LAKE,
    ORDERS,
    ORDERS_CONTRACT,
    ORDERS_SCHEMA,
    contracted_port,
)

pytestmark = pytest.mark.django_db


def run(*args, stdin: str | None = None, monkeypatch=None) -> str:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("check_contract", *args, stdout=out)
    return out.getvalue()


def schema_file(tmp_path, schema) -> str:
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema))
    return str(path)


def test_compatible_schema_exits_zero(owner, tmp_path):
    contracted_port(owner)

    output = run(LAKE, ORDERS, schema_file(tmp_path, {"fields": ORDERS_SCHEMA}))

    assert output == f"Compatible with contract 1.0.0 (forward) of {LAKE}:{ORDERS}.\n"


def test_breaking_schema_exits_one(owner, tmp_path):
    contracted_port(owner)
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command(
            "check_contract",
            LAKE,
            ORDERS,
            schema_file(tmp_path, ORDERS_CONTRACT[1:]),
            stdout=out,
        )

    assert raised.value.returncode == 1
    assert str(raised.value) == "The schema breaks contract 1.0.0 of orders."
    assert out.getvalue() == (
        f"1 breaking change against contract 1.0.0 (forward) of {LAKE}:{ORDERS}:\n"
        "  field removed at id (expected bigint, actual none)\n"
    )


def test_schema_read_from_stdin_as_json(owner, monkeypatch):
    contracted_port(owner)

    output = run(
        LAKE,
        ORDERS,
        "-",
        "--json",
        stdin=json.dumps(ORDERS_SCHEMA),
        monkeypatch=monkeypatch,
    )

    assert json.loads(output)["compatible"] is True
    assert json.loads(output)["contract_version"] == "1.0.0"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            "{not json",
            "Invalid JSON in -: Expecting property name enclosed in double "
            "quotes: line 1 column 2 (char 1)",
        ),
        (
            json.dumps({"fields": [{"name": "id"}]}),
            "Invalid schema at fields[0].type: This field is required.",
        ),
        (json.dumps("id"), "Invalid schema: Expected a list of fields."),
    ],
)
def test_bad_schema_exits_two(owner, monkeypatch, schema, message):
    contracted_port(owner)
    monkeypatch.setattr("sys.stdin", io.StringIO(schema))

    with pytest.raises(CommandError) as raised:
        call_command("check_contract", LAKE, ORDERS, stdout=io.StringIO())

    assert raised.value.returncode == 2
    assert str(raised.value) == message


def test_unknown_port_exits_two(owner, tmp_path):
    contracted_port(owner)

    with pytest.raises(CommandError) as raised:
        call_command(
            "check_contract", LAKE, "/orders/unknown", schema_file(tmp_path, [])
        )

    assert raised.value.returncode == 2
    assert str(raised.value) == (
        f"No output port publishes the dataset {LAKE} /orders/unknown."
    )


def test_unreadable_file_exits_two(owner, tmp_path):
    contracted_port(owner)

    with pytest.raises(CommandError) as raised:
        call_command("check_contract", LAKE, ORDERS, str(tmp_path / "missing.json"))

    assert raised.value.returncode == 2
    assert str(raised.value).startswith(f"Could not read {tmp_path / 'missing.json'}:")
