"""Expire the cached sections of a product page when a row they show changes.

See `catalog.page_cache`. Bulk updates send no signals: the services that make
them call `product_pages_changed` themselves. A row can move to another product
(the admin's forms allow it), so a save expires the product the row leaves as
well as the one it joins, and a delete expires the products before the rows go.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models.signals import (
    m2m_changed,
    post_save,
    pre_delete,
    pre_save,
)

from catalog.models import (
    ContractViolation,
    DataContract,
    DataProduct,
    Domain,
    Feature,
    OutputPort,
    Ownership,
    ServiceLevel,
    SlaPeriod,
    Tag,
)
from catalog.page_cache import product_pages_changed
from lineage.signals import lineage_rebuilt

# Path from each model's rows to their product, for reading it from the database.
PRODUCT_PATHS = {
    DataProduct: "pk",
    Ownership: "product_id",
    OutputPort: "product_id",
    ServiceLevel: "product_id",
    SlaPeriod: "product_id",
    Feature: "product_id",
    DataContract: "port__product_id",
    ContractViolation: "contract__port__product_id",
}


def _stored_products(sender, pk) -> list[int]:
    path = PRODUCT_PATHS[sender]
    return list(sender.objects.filter(pk=pk).values_list(path, flat=True))


def _stored_row_changing(sender, instance, **kwargs) -> None:
    """Expire the product a stored row belongs to before it is saved or deleted."""
    if instance.pk is not None:
        product_pages_changed(_stored_products(sender, instance.pk))


def _row_saved(sender, instance, **kwargs) -> None:
    """Expire the product a row belongs to after it was saved."""
    path = PRODUCT_PATHS[sender]
    if path in ("pk", "product_id"):
        product_pages_changed([getattr(instance, path)])
    else:
        product_pages_changed(_stored_products(sender, instance.pk))


def _tags_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        product_pages_changed([instance.pk])
    elif pk_set:
        product_pages_changed(pk_set)


def _tag_deleting(sender, instance, **kwargs) -> None:
    """Expire a tag's products before it goes, because the cascade that removes
    it from them sends no m2m signal."""
    product_pages_changed(instance.products.values_list("pk", flat=True))


def _named_by_products(sender, instance, created, **kwargs) -> None:
    """Expire every product of a changed domain or tag, which shows its name."""
    if not created:
        product_pages_changed(instance.products.values_list("pk", flat=True))


def _holder_changed(sender, instance, update_fields=None, **kwargs) -> None:
    """Expire every product on which a renamed user or group has a role."""
    # Every login saves the user's last_login, which no page shows.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    if isinstance(instance, Group):
        holders = Ownership.objects.filter(group=instance)
    else:
        holders = Ownership.objects.filter(user=instance)
    product_pages_changed(holders.values_list("product_id", flat=True))


def _lineage_rebuilt(sender, **kwargs) -> None:
    """Expire every product that publishes a dataset, since its figures come
    from the rebuilt rows."""
    product_pages_changed(OutputPort.objects.values_list("product_id", flat=True))


def connect_page_cache_receivers() -> None:
    for model in PRODUCT_PATHS:
        uid = f"page_cache.{model.__name__}"
        if model is not DataProduct:  # a product cannot move
            pre_save.connect(
                _stored_row_changing, sender=model, dispatch_uid=f"{uid}.saving"
            )
        post_save.connect(_row_saved, sender=model, dispatch_uid=f"{uid}.saved")
        pre_delete.connect(
            _stored_row_changing, sender=model, dispatch_uid=f"{uid}.deleting"
        )
    m2m_changed.connect(
        _tags_changed,
        sender=DataProduct.tags.through,
        dispatch_uid="page_cache.tags_changed",
    )
    pre_delete.connect(
        _tag_deleting, sender=Tag, dispatch_uid="page_cache.Tag.deleting"
    )
    for model in (Domain, Tag):
        post_save.connect(
            _named_by_products,
            sender=model,
            dispatch_uid=f"page_cache.{model.__name__}.saved",
        )
    lineage_rebuilt.connect(_lineage_rebuilt, dispatch_uid="page_cache.rebuilt")
    for model in (get_user_model(), Group):
        post_save.connect(
            _holder_changed,
            sender=model,
            dispatch_uid=f"page_cache.{model.__name__}.saved",
        )
