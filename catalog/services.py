"""Every write to domains, products, ownership and output ports.

Each function runs in one transaction and checks the rules that span rows (a
product keeps an owner, a port names a canonical dataset). The forms and
serializers that call them check field formats. Who may call them is
checked by `catalog.permissions` in those callers.
"""

import logging
from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from catalog.models import DataProduct, Domain, OutputPort, Ownership, Tag
from catalog.receivers import forget_ports_exist
from lineage.models import Dataset

logger = logging.getLogger(__name__)

# A keyword argument left out of an update, as opposed to one given as None.
UNSET = object()


def domain_create(*, name: str, slug: str = "", description: str = "") -> Domain:
    domain = Domain.objects.create(
        name=name, slug=slug or slugify(name), description=description
    )
    logger.info("Created domain %s (%s)", domain.pk, domain.slug)
    return domain


def locked_copy(instance):
    """Lock the row of `instance` and reload it, to apply a change on top.

    Two requests that change different fields of one row then both keep their
    change: the second waits for the first and starts from its result, where
    saving the copy each had read would write back what the other replaced.
    """
    rows = type(instance).objects.select_for_update()
    instance.refresh_from_db(from_queryset=rows)
    return instance


@transaction.atomic
def domain_update(*, domain: Domain, **changes) -> Domain:
    locked_copy(domain)
    for name, value in changes.items():
        setattr(domain, name, value)
    domain.full_clean()
    domain.save()
    logger.info("Updated domain %s: %s", domain.pk, sorted(changes))
    return domain


@transaction.atomic
def domain_delete(*, domain: Domain) -> None:
    """Delete a domain that no product belongs to."""
    # FOR UPDATE conflicts with the key-share lock that adding a product to the
    # domain takes, so no product can join between the count and the delete.
    list(Domain.objects.select_for_update().filter(pk=domain.pk).values("pk"))
    in_use = domain.products.count()
    if in_use:
        products, them = (
            ("data product", "it") if in_use == 1 else ("data products", "them")
        )
        raise ValidationError(
            f"Domain {domain.slug!r} still has {in_use} {products}: move {them} "
            f"to another domain or delete {them} first."
        )
    logger.info("Deleting domain %s (%s)", domain.pk, domain.slug)
    domain.delete()


def _tags_named(names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in sorted({slugify(name, allow_unicode=True) for name in names}):
        if name:
            tags.append(Tag.objects.get_or_create(name=name)[0])
    return tags


@transaction.atomic
def product_create(
    *,
    name: str,
    domain: Domain,
    created_by,
    slug: str = "",
    description: str = "",
    lifecycle: str = DataProduct.Lifecycle.DRAFT,
    classification: str = DataProduct.Classification.INTERNAL,
    contains_personal_data: bool = False,
    tags: Iterable[str] = (),
) -> DataProduct:
    """Register a product; whoever registers it becomes its first owner."""
    product = DataProduct(
        name=name,
        slug=slug or slugify(name),
        domain=domain,
        description=description,
        lifecycle=lifecycle,
        classification=classification,
        contains_personal_data=contains_personal_data,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    product.full_clean()
    product.save()
    product.tags.set(_tags_named(tags))
    if product.created_by is not None:
        Ownership.objects.create(
            product=product, role=Ownership.Role.OWNER, user=product.created_by
        )
    logger.info("Created data product %s (%s)", product.pk, product.slug)
    return product


@transaction.atomic
def product_update(*, product: DataProduct, tags=UNSET, **changes) -> DataProduct:
    """Change a product's fields; `tags`, when given, replaces its tags."""
    locked_copy(product)
    for name, value in changes.items():
        setattr(product, name, value)
    product.full_clean()
    product.save()
    if tags is not UNSET:
        product.tags.set(_tags_named(tags))
    logger.info("Updated data product %s: %s", product.pk, sorted(changes))
    return product


@transaction.atomic
def product_delete(*, product: DataProduct) -> None:
    logger.info("Deleting data product %s (%s)", product.pk, product.slug)
    product.delete()


@transaction.atomic
def ownership_add(
    *, product: DataProduct, role: str, user=None, group: Group | None = None
) -> Ownership:
    """Give a user or a group a role on a product (once: adding twice is a no-op)."""
    if (user is None) == (group is None):
        raise ValidationError(
            {"user": "Name either a user or a group, not both and not neither."}
        )
    ownership, created = Ownership.objects.get_or_create(
        product=product, role=role, user=user, group=group
    )
    if created:
        logger.info(
            "Added %s %s as %s of product %s",
            "user" if user else "group",
            (user or group).pk,
            role,
            product.pk,
        )
    return ownership


@transaction.atomic
def ownership_remove(*, ownership: Ownership) -> None:
    """Remove a role; the last owner of a product cannot be removed."""
    product = DataProduct.objects.select_for_update().get(pk=ownership.product_id)
    if ownership.role == Ownership.Role.OWNER:
        others = product.ownerships.filter(role=Ownership.Role.OWNER).exclude(
            pk=ownership.pk
        )
        if not others.exists():
            raise ValidationError(
                {"role": "A product keeps at least one owner: add another first."}
            )
    ownership.delete()
    logger.info("Removed ownership %s from product %s", ownership.pk, product.pk)


def _canonical(dataset: Dataset) -> Dataset:
    seen = {dataset.pk}
    while dataset.canonical_id is not None and dataset.canonical_id not in seen:
        seen.add(dataset.canonical_id)
        dataset = Dataset.objects.get(pk=dataset.canonical_id)
    return dataset


@transaction.atomic
def output_port_add(
    *, product: DataProduct, dataset: Dataset, description: str = ""
) -> OutputPort:
    """Publish a lineage dataset (resolved to its canonical one) from a product."""
    dataset = _canonical(dataset)
    existing = OutputPort.objects.filter(dataset=dataset).first()
    if existing is not None:
        if existing.product_id == product.pk:
            return existing
        # The other product is not named: the caller may not be allowed to see it.
        raise ValidationError(
            {"dataset": "This dataset is already published by another data product."}
        )
    port = OutputPort.objects.create(
        product=product, dataset=dataset, description=description
    )
    forget_ports_exist()
    logger.info(
        "Added dataset %s as an output port of product %s", dataset.pk, product.pk
    )
    return port


@transaction.atomic
def output_port_remove(*, port: OutputPort) -> None:
    logger.info("Removing output port %s of product %s", port.pk, port.product_id)
    port.delete()
