"""The contract partial that the product page includes for each output port."""

import pytest
from django.template.loader import render_to_string

from catalog.contracts import contracts_check_ports
from catalog.contracts.selectors import current_contract, open_violations
from tests.catalog.contract_helpers import ORDERS_SCHEMA, contracted_port, send_schema

pytestmark = pytest.mark.django_db


def render(port) -> str:
    return render_to_string(
        "catalog/_contract.html",
        {
            "port": port,
            "contract": current_contract(port),
            "violations": list(open_violations(port=port)),
        },
    )


def test_partial_shows_fields_and_open_violations(owner):
    port = contracted_port(owner)
    send_schema(ORDERS_SCHEMA[1:], minutes=1)
    contracts_check_ports(port_ids=[port.pk])

    html = render(port)

    assert "Contract 1.0.0" in html
    assert "forward compatibility" in html
    assert "<code>customer.city</code>" in html
    assert "1 open violation</h4>" in html
    assert "<strong>Field removed</strong> at <code>id</code>" in html


def test_partial_without_violations_or_contract(owner):
    port = contracted_port(owner)

    assert "No open violations." in render(port)
    port.contracts.all().delete()
    assert "This output port has no contract." in render(port)
