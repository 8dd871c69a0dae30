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

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

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


# The products on which a user has a role or was granted the view permission,
# directly or through a group. Plain SQL, not correlated with the outer query:
# the ORM took longer to build this than PostgreSQL takes to run it, and every
# page and list builds it once per request.
_HELD_OR_GRANTED_SQL = f"""
SELECT ownership.product_id FROM {Ownership._meta.db_table} ownership
WHERE ownership.user_id = %s
UNION ALL
SELECT ownership.product_id FROM {Ownership._meta.db_table} ownership
WHERE ownership.group_id IN (
    SELECT member.group_id FROM auth_user_groups member WHERE member.user_id = %s)
UNION ALL
SELECT granted.content_object_id
FROM {DataProductUserObjectPermission._meta.db_table} granted
JOIN auth_permission permission ON permission.id = granted.permission_id
WHERE granted.user_id = %s AND permission.codename = %s
UNION ALL
SELECT granted.content_object_id
FROM {DataProductGroupObjectPermission._meta.db_table} granted
JOIN auth_permission permission ON permission.id = granted.permission_id
WHERE permission.codename = %s AND granted.group_id IN (
    SELECT member.group_id FROM auth_user_groups member WHERE member.user_id = %s)
"""


# The model-wide permissions a user holds, directly or through a group: what
# ModelBackend's has_perm reads (guardian's backend grants nothing model-wide),
# in one query where it takes two. Pages ask for them on every request.
_MODEL_PERMISSIONS_SQL = """
SELECT kind.app_label || '.' || permission.codename
FROM auth_user_user_permissions held
JOIN auth_permission permission ON permission.id = held.permission_id
JOIN django_content_type kind ON kind.id = permission.content_type_id
WHERE held.user_id = %(user)s
UNION
SELECT kind.app_label || '.' || permission.codename
FROM auth_user_groups member
JOIN auth_group_permissions held ON held.group_id = member.group_id
JOIN auth_permission permission ON permission.id = held.permission_id
JOIN django_content_type kind ON kind.id = permission.content_type_id
WHERE member.user_id = %(user)s
"""


def has_model_permission(user, permission: str) -> bool:
    """Tell whether the user has `permission` ("app_label.codename") for every
    object of its model, as `user.has_perm(permission)` does."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return user.is_active
    user_pk = _user_pk(user)
    if user_pk is None or not user.is_active:
        return user.has_perm(permission)
    # Kept on the user object, which lives for one request, as Django keeps
    # the permissions it loads.
    if not hasattr(user, "_model_permissions"):
        with connection.cursor() as cursor:
            cursor.execute(_MODEL_PERMISSIONS_SQL, {"user": user_pk})
            user._model_permissions = {name for (name,) in cursor.fetchall()}
    return permission in user._model_permissions


def sees_every_product(user) -> bool:
    """Tell whether the user sees every product: an admin or an auditor."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or has_model_permission(user, f"catalog.{VIEW_PERMISSION}")


def _held_or_granted_params(user_pk: int) -> list:
    return [user_pk, user_pk, user_pk, VIEW_PERMISSION, VIEW_PERMISSION, user_pk]


def products_visible_to(user) -> QuerySet[DataProduct]:
    products = DataProduct.objects.all()
    if user is None or not user.is_authenticated:
        return products.none()
    if sees_every_product(user):
        return products
    open_to_all = ~Q(lifecycle=DataProduct.Lifecycle.DRAFT) & ~Q(
        classification=DataProduct.Classification.RESTRICTED
    )
    user_pk = _user_pk(user)
    if user_pk is None:
        return products.filter(open_to_all)
    held_or_granted = RawSQL(_HELD_OR_GRANTED_SQL, _held_or_granted_params(user_pk))
    return products.filter(open_to_all | Q(pk__in=held_or_granted))


def is_visible_to(user, product: DataProduct) -> bool:
    """Apply the rule of `products_visible_to` to one product already read.

    A product open to every signed-in user costs no query, which is most of
    the product pages read. The tests check both against each other.
    """
    if user is None or not user.is_authenticated:
        return False
    open_to_all = (
        product.lifecycle != DataProduct.Lifecycle.DRAFT
        and product.classification != DataProduct.Classification.RESTRICTED
    )
    if open_to_all or sees_every_product(user):
        return True
    user_pk = _user_pk(user)
    if user_pk is None:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT %s IN ({_HELD_OR_GRANTED_SQL})",
            [product.pk, *_held_or_granted_params(user_pk)],
        )
        return cursor.fetchone()[0]


def product_roles(user, product: DataProduct) -> set[str]:
    """Return the roles the user has on the product, directly or through a group."""
    user_pk = _user_pk(user)
    if user_pk is None:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT role FROM {Ownership._meta.db_table}"
            " WHERE product_id = %(product)s AND (user_id = %(user)s OR group_id IN"
            " (SELECT group_id FROM auth_user_groups WHERE user_id = %(user)s))",
            {"product": product.pk, "user": user_pk},
        )
        return {role for (role,) in cursor.fetchall()}


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


def ports_written(pairs: list[tuple[str, str]], ended_run_ids: list[UUID]) -> list[int]:
    """Ids of the output ports that new events touched.

    A port is touched when one of `pairs` (namespace, name) names its dataset or
    an alias of it, or when a run in `ended_run_ids` wrote it: the event that
    ends a run often names no outputs, which its START named.
    """
    dataset_ids = [pk for _, pk in find_by_names(Dataset, pairs)]
    written_by_runs = RunDataset.objects.filter(
        run__run_id__in=ended_run_ids, direction=Direction.OUTPUT
    ).values("dataset_id")
    return list(
        OutputPort.objects.filter(
            Q(dataset_id__in=dataset_ids) | Q(dataset_id__in=written_by_runs)
        ).values_list("pk", flat=True)
    )
