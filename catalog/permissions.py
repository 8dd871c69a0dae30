"""Who may change what in the catalog: one rule for pages, API and commands.

Admins (superusers) may change everything. A product's owners and stewards may
change the product and what hangs from it (ports, SLA, features, contracts,
stewards and technical contacts). Only owners and admins may give or take the
owner role and delete the product, so a steward cannot take a product over.
Registering a new product needs the `catalog.add_dataproduct`
permission, which the demo gives to its "Data owners" group; whoever registers
a product becomes its owner. Domains and tags are kept by admins.
"""

from django.core.exceptions import PermissionDenied

from catalog.models import DataProduct, Ownership
from catalog.selectors import (
    has_model_permission,
    is_visible_to,
    product_roles,
)


def can_view_product(user, product: DataProduct) -> bool:
    return is_visible_to(user, product)


def can_manage_product(user, product: DataProduct) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(product_roles(user, product) & set(Ownership.MANAGING_ROLES))


def can_own_product(user, product: DataProduct) -> bool:
    """Tell whether the user may delete the product and give or take its owner
    role."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or Ownership.Role.OWNER in product_roles(user, product)


def check_role_change(user, product: DataProduct, role: str) -> None:
    """Raise PermissionDenied unless the user may give or take `role`."""
    if role == Ownership.Role.OWNER and not can_own_product(user, product):
        raise PermissionDenied("Only the product's owners may change its owners.")


def check_delete(user, product: DataProduct) -> None:
    if not can_own_product(user, product):
        raise PermissionDenied("Only the product's owners may delete it.")


def can_register_product(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or has_model_permission(user, "catalog.add_dataproduct")


def can_manage_domains(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)
