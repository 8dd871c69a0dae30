"""Reads shared by the catalog's pages, API, search and reports.

`products_visible_to` is the one rule for who sees which product:
- an admin (superuser), and anyone holding the model-wide
  `catalog.view_dataproduct` permission (an auditor), sees every product;
- a product's owners, stewards and technical contacts, directly or through a
  group, see it in every lifecycle state and classification;
- anyone granted `catalog.view_dataproduct` on it (django-guardian, directly or
  through a group) sees it;
- any other signed-in user sees products that are not drafts and not
  restricted. Confidential products stay discoverable, so that people can find
  them and ask for access: their metadata is shown, their data is not granted.
"""

from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog.models import (
    DataProduct,
    DataProductGroupObjectPermission,
    DataProductUserObjectPermission,
    OutputPort,
    Ownership,
)
from lineage.graph import find_by_names
from lineage.models import Dataset, Direction, RunDataset

VIEW_PERMISSION = "view_dataproduct"


def _user_pk(user) -> int | None:
    """Return the database id of a signed-in person, or None for anonymous users
    and for API keys that act for no user."""
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "pk", None)


def _held_by(user_pk: int, model, **filters) -> Exists:
    """Rows of `model` (keyed by product) held by the user or one of their groups."""
    return Exists(
        model.objects.filter(**filters).filter(
            Q(user_id=user_pk) | Q(group__user__pk=user_pk)
        )
    )


def products_visible_to(user) -> QuerySet[DataProduct]:
    products = DataProduct.objects.all()
    if user is None or not user.is_authenticated:
        return products.none()
    if user.is_superuser or user.has_perm(f"catalog.{VIEW_PERMISSION}"):
        return products
    open_to_all = ~Q(lifecycle=DataProduct.Lifecycle.DRAFT) & ~Q(
        classification=DataProduct.Classification.RESTRICTED
    )
    user_pk = _user_pk(user)
    if user_pk is None:
        return products.filter(open_to_all)
    is_member = _held_by(user_pk, Ownership, product=OuterRef("pk"))
    granted = Exists(
        DataProductUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"),
            user_id=user_pk,
            permission__codename=VIEW_PERMISSION,
        )
    ) | Exists(
        DataProductGroupObjectPermission.objects.filter(
            content_object=OuterRef("pk"),
            group__user__pk=user_pk,
            permission__codename=VIEW_PERMISSION,
        )
    )
    return products.filter(open_to_all | is_member | granted)


def product_roles(user, product: DataProduct) -> set[str]:
    """Return the roles the user has on the product, directly or through a group."""
    user_pk = _user_pk(user)
    if user_pk is None:
        return set()
    return set(
        Ownership.objects.filter(product=product)
        .filter(Q(user_id=user_pk) | Q(group__user__pk=user_pk))
        .values_list("role", flat=True)
    )


def managed_products(user) -> QuerySet[DataProduct]:
    """Products the user owns or stewards, directly or through a group."""
    user_pk = _user_pk(user)
    if user_pk is None:
        return DataProduct.objects.none()
    return DataProduct.objects.filter(
        _held_by(
            user_pk,
            Ownership,
            product=OuterRef("pk"),
            role__in=Ownership.MANAGING_ROLES,
        )
    )


def canonical_dataset(namespace: str, name: str) -> Dataset | None:
    """Return the lineage dataset with this exact name, or its canonical dataset
    when it is an alias."""
    found = find_by_names(Dataset, [(namespace, name)])
    if not found:
        return None
    return Dataset.objects.select_related("namespace").get(pk=found[0][1])


def ports_written(
    pairs: list[tuple[str, str]], completed_run_ids: list[UUID]
) -> list[int]:
    """Ids of the output ports that new events touched.

    A port is touched when one of `pairs` (namespace, name) names its dataset or
    an alias of it, or when a run in `completed_run_ids` wrote it: a COMPLETE
    event often names no outputs, which its START named.
    """
    dataset_ids = [pk for _, pk in find_by_names(Dataset, pairs)]
    written_by_runs = RunDataset.objects.filter(
        run__run_id__in=completed_run_ids, direction=Direction.OUTPUT
    ).values("dataset_id")
    return list(
        OutputPort.objects.filter(
            Q(dataset_id__in=dataset_ids) | Q(dataset_id__in=written_by_runs)
        ).values_list("pk", flat=True)
    )
