"""Writes of data contracts: new versions, and the check of ingested schemas.

Evolution: a new version must be greater than the port's latest. It is
compared with that latest version under the latest version's compatibility
rule, because that is the promise in force when the change is made. The new
version's rule governs the next version. A version that breaks the rule is
rejected unless its major version is higher, since semantic versioning
announces a breaking change with a major bump. The rules, in the terms of
`DataContract.Compatibility`:
- forward: consumers of the previous version can read data in the new shape,
  so no field may be removed, change type or become nullable;
- backward: consumers of the new version can read data in the previous shape,
  so no required field may be added, and no field may change type or stop
  being nullable;
- full: both; none: anything goes.
"""

import logging
from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import Truncator

from catalog.contracts.schema import (
    BreakingChange,
    SchemaInvalid,
    conformance_breaks,
    count_changes,
    evolution_breaks,
    ingested_fields,
    parse_fields,
    parse_version,
)
from catalog.models import ContractViolation, DataContract, Notification, OutputPort
from catalog.notifications import notify_product_managers
from catalog.page_cache import product_pages_changed
from lineage.models import Dataset, SchemaVersion

logger = logging.getLogger(__name__)

# Schema versions compared per check besides the current ones, newest first:
# a dataset rarely has more distinct schemas while one contract is in force.
MAX_SCHEMAS_PER_CHECK = 50
# Breaking changes named in one error message or notification.
MAX_CHANGES_LISTED = 20
MAX_SUBJECT_LENGTH = Notification._meta.get_field("subject").max_length


def describe_changes(changes: list[BreakingChange]) -> str:
    text = "; ".join(change.describe() for change in changes[:MAX_CHANGES_LISTED])
    if len(changes) > MAX_CHANGES_LISTED:
        text += f"; and {len(changes) - MAX_CHANGES_LISTED} more"
    return text


def contract_create(
    *,
    port: OutputPort,
    version: str,
    fields: list,
    compatibility: str = DataContract.Compatibility.FORWARD,
    created_by: AbstractBaseUser | None = None,
) -> DataContract:
    """Add a contract version to a port and check the port's schemas against it.

    Raises ValidationError naming the field: an invalid version or schema, a
    version not greater than the latest, or a change that breaks the latest
    version's compatibility rule without a major bump.
    """
    try:
        major, minor, patch = parse_version(version)
        fields = parse_fields(fields)
    except SchemaInvalid as error:
        raise ValidationError({error.path: error.message}) from None
    if compatibility not in DataContract.Compatibility.values:
        choices = ", ".join(DataContract.Compatibility.values)
        raise ValidationError(
            {"compatibility": f"Invalid compatibility rule: use one of {choices}."}
        )
    with transaction.atomic():
        # Versions of one port are added one at a time, so "greater than the
        # latest" stays true under concurrent requests.
        port = OutputPort.objects.select_for_update().get(pk=port.pk)
        latest = port.contracts.first()
        if latest is not None:
            _check_evolution(latest, version, (major, minor, patch), fields)
        contract = DataContract.objects.create(
            port=port,
            version=version,
            version_major=major,
            version_minor=minor,
            version_patch=patch,
            compatibility=compatibility,
            fields=fields,
            created_by=created_by,
        )
        logger.info(
            "Added contract version %s (%s) to output port %s",
            contract.pk,
            version,
            port.pk,
        )
        contracts_check_ports(port_ids=[port.pk])
    return contract


def _check_evolution(
    latest: DataContract, version: str, parts: tuple, fields: list
) -> None:
    latest_parts = (latest.version_major, latest.version_minor, latest.version_patch)
    if parts <= latest_parts:
        raise ValidationError(
            {
                "version": f"Version {version} must be greater than the port's "
                f"latest contract version {latest.version}."
            }
        )
    changes = evolution_breaks(latest.fields, fields, latest.compatibility)
    if changes and parts[0] <= latest_parts[0]:
        raise ValidationError(
            {
                "fields": f"Version {version} breaks the {latest.compatibility} "
                f"compatibility of version {latest.version}: "
                f"{describe_changes(changes)}. A breaking change needs a higher "
                "major version."
            }
        )


def contracts_check_ports(*, port_ids: list[int]) -> None:
    """Compare the schemas ingested for these ports with their current contracts.

    Records each breaking change as a ContractViolation, resolves open ones
    that the port's newest schema no longer breaks, and notifies the product's
    owners and stewards of new ones. Running it twice writes nothing the
    second time.
    """
    ports = OutputPort.objects.filter(pk__in=port_ids).select_related(
        "product", "dataset__namespace"
    )
    for port in ports:
        contract = port.contracts.first()
        with transaction.atomic():
            _check_port(port, contract)
            # Violations are updated in bulk, which sends no signal.
            product_pages_changed([port.product_id])


def _check_port(port: OutputPort, contract: DataContract | None) -> None:
    now = timezone.now()
    superseded = ContractViolation.objects.filter(
        contract__port=port, resolved_at__isnull=True
    )
    if contract is not None:
        superseded = superseded.exclude(contract=contract)
    # A violation of a version that is no longer current breaks no promise.
    superseded.update(resolved_at=now)
    if contract is None:
        return

    datasets = list(
        Dataset.objects.filter(
            Q(pk=port.dataset_id) | Q(canonical_id=port.dataset_id)
        ).values("pk", "current_schema_id", "current_schema_time")
    )
    schemas = _schemas_to_check(contract, datasets)
    if not schemas:
        return

    breaks = {
        schema.pk: conformance_breaks(contract.fields, ingested_fields(schema.fields))
        for schema in schemas
    }
    new = _record_violations(contract, breaks, now)

    newest = _newest_schema_id(datasets)
    still_broken = {(c.kind, c.field_path) for c in breaks.get(newest, [])}
    _resolve_and_reopen(contract, newest, still_broken, now)

    # What the newest schema breaks is what consumers meet now: that is
    # notified, once per schema version. A break that a later schema already
    # fixed is recorded but not notified.
    if newest is not None:
        newest_schema = next(schema for schema in schemas if schema.pk == newest)
        found = [v for v in new if v.schema_version_id == newest]
        _notify(port, contract, newest_schema, found)
    logger.info(
        "Checked %s schema versions of output port %s against contract %s: "
        "%s new violations",
        len(schemas),
        port.pk,
        contract.pk,
        len(new),
    )


def _schemas_to_check(contract: DataContract, datasets: list[dict]) -> list:
    """Return the current schemas of the port's dataset and aliases, and the
    newest other schemas seen (by eventTime) since the contract was created."""
    dataset_ids = [row["pk"] for row in datasets]
    current_ids = [row["current_schema_id"] for row in datasets]
    current_ids = [pk for pk in current_ids if pk is not None]
    current = list(
        SchemaVersion.objects.filter(pk__in=current_ids).select_related(
            "dataset__namespace"
        )
    )
    # TODO: keep a per-contract mark of the schema versions already compared;
    # without a column for it, every check compares these again (idempotently).
    others = list(
        SchemaVersion.objects.filter(
            dataset_id__in=dataset_ids, last_seen_at__gte=contract.created_at
        )
        .exclude(pk__in=current_ids)
        .select_related("dataset__namespace")
        .order_by("-last_seen_at", "-pk")[:MAX_SCHEMAS_PER_CHECK]
    )
    return current + others


def _newest_schema_id(datasets: list[dict]) -> int | None:
    """Return the id of the current schema with the latest eventTime among the
    port's dataset and its aliases."""
    with_schema = [row for row in datasets if row["current_schema_id"] is not None]
    if not with_schema:
        return None
    newest = max(
        with_schema,
        key=lambda row: (row["current_schema_time"], row["current_schema_id"]),
    )
    return newest["current_schema_id"]


def _record_violations(
    contract: DataContract, breaks: dict[int, list], now
) -> list[ContractViolation]:
    """Insert the violations not recorded yet; return them."""
    existing = set(
        ContractViolation.objects.filter(
            contract=contract, schema_version_id__in=list(breaks)
        ).values_list("schema_version_id", "kind", "field_path")
    )
    new = [
        ContractViolation(
            contract=contract,
            schema_version_id=schema_id,
            kind=change.kind,
            field_path=change.field_path,
            expected=change.expected,
            actual=change.actual,
            detected_at=now,
        )
        for schema_id, changes in breaks.items()
        for change in changes
        if (schema_id, change.kind, change.field_path) not in existing
    ]
    # A concurrent check may insert the same rows: the unique constraint keeps
    # one, and the notification's dedupe key notifies once.
    ContractViolation.objects.bulk_create(new, ignore_conflicts=True)
    return new


def _resolve_and_reopen(
    contract: DataContract, newest: int | None, still_broken: set, now
) -> None:
    if newest is None:
        return
    open_violations = ContractViolation.objects.filter(
        contract=contract, resolved_at__isnull=True
    )
    if not still_broken:
        open_violations.update(resolved_at=now)
        return
    broken = reduce(or_, (Q(kind=kind, field_path=path) for kind, path in still_broken))
    open_violations.exclude(broken).update(resolved_at=now)
    # The newest schema may be an older one sent again, whose violations a
    # schema in between resolved.
    ContractViolation.objects.filter(
        contract=contract, schema_version_id=newest, resolved_at__isnull=False
    ).filter(broken).update(resolved_at=None)


def _notify(
    port: OutputPort,
    contract: DataContract,
    schema: SchemaVersion,
    violations: list[ContractViolation],
) -> None:
    if not violations:
        return
    product = port.product
    dataset = schema.dataset
    changes = [
        BreakingChange(v.kind, v.field_path, v.expected, v.actual) for v in violations
    ]
    subject = f"Contract {contract.version} of {product} broken by {dataset}"
    notify_product_managers(
        product=product,
        kind=Notification.Kind.CONTRACT_VIOLATION,
        subject=Truncator(subject).chars(MAX_SUBJECT_LENGTH),
        body=f"A schema sent for {dataset} breaks version {contract.version} "
        f"of the contract of output port {port.dataset} "
        f"({count_changes(len(changes))}): {describe_changes(changes)}.",
        dedupe_key=f"contract-violation:{contract.pk}:{schema.pk}",
    )
