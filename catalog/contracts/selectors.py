"""Reads of data contracts, and the check of a schema a pipeline proposes."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from catalog.contracts.schema import (
    BreakingChange,
    parse_proposed_schema,
    proposed_schema_breaks,
)
from catalog.models import ContractViolation, DataContract, DataProduct, OutputPort
from catalog.selectors import canonical_dataset


def current_contract(port: OutputPort) -> DataContract | None:
    """The port's contract version with the highest semantic version."""
    return port.contracts.first()


def open_violations(*, port: OutputPort) -> QuerySet[ContractViolation]:
    return (
        ContractViolation.objects.filter(contract__port=port, resolved_at__isnull=True)
        .select_related("contract", "schema_version__dataset__namespace")
        .order_by("-detected_at", "field_path", "pk")
    )


def port_of_dataset(
    products: QuerySet[DataProduct], namespace: str, name: str
) -> OutputPort | None:
    """Return the output port, among `products`, that publishes the dataset so
    named, or the canonical dataset of an alias so named."""
    dataset = canonical_dataset(namespace, name)
    if dataset is None:
        return None
    return (
        OutputPort.objects.filter(dataset=dataset, product__in=products)
        .select_related("product", "dataset__namespace")
        .first()
    )


@dataclass(frozen=True, slots=True)
class CheckResult:
    port: OutputPort
    contract: DataContract | None
    breaking_changes: list[BreakingChange] = field(default_factory=list)

    @property
    def compatible(self) -> bool:
        return not self.breaking_changes

    def as_dict(self) -> dict:
        return {
            "compatible": self.compatible,
            "product": self.port.product.slug,
            "port_id": self.port.pk,
            "contract_version": self.contract.version if self.contract else None,
            "compatibility": self.contract.compatibility if self.contract else None,
            "breaking_changes": [change.as_dict() for change in self.breaking_changes],
        }


def proposed_schema_check(*, port: OutputPort, schema, path="schema") -> CheckResult:
    """Compare a schema a pipeline proposes to write with the port's contract.

    Raises SchemaInvalid for a malformed schema. A port without a contract
    promises nothing, so every schema is compatible with it.
    """
    proposed = parse_proposed_schema(schema, path=path)
    contract = current_contract(port)
    if contract is None:
        return CheckResult(port=port, contract=None)
    changes = proposed_schema_breaks(contract.fields, proposed, contract.compatibility)
    return CheckResult(port=port, contract=contract, breaking_changes=changes)
