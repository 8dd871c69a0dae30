"""Catalog rows for tests, made through the catalog's services."""

from catalog import services
from catalog.models import DataProduct, Domain, Ownership


def make_domain(name: str = "Finance") -> Domain:
    domain = Domain.objects.filter(name=name).first()
    return domain or services.domain_create(name=name)


def make_product(
    name: str,
    *,
    owner=None,
    domain: Domain | None = None,
    lifecycle: str = DataProduct.Lifecycle.PUBLISHED,
    classification: str = DataProduct.Classification.INTERNAL,
    stewards=(),
    **fields,
) -> DataProduct:
    product = services.product_create(
        name=name,
        domain=domain or make_domain(),
        created_by=owner,
        lifecycle=lifecycle,
        classification=classification,
        **fields,
    )
    for steward in stewards:
        services.ownership_add(
            product=product, role=Ownership.Role.STEWARD, user=steward
        )
    return product
