"""Who may change what in the catalog: one rule for pages, API and commands.

Admins (superusers) may change everything. A product's owners and stewards may
change the product and what hangs from it (ownership, ports, SLA, features,
contracts). Registering a new product needs the `catalog.add_dataproduct`
permission, which the demo gives to its "Data owners" group; whoever registers
a product becomes its owner. Domains and tags are kept by admins.
"""

from catalog.models import DataProduct, Ownership
from catalog.selectors import product_roles, products_visible_to


def can_view_product(user, product: DataProduct) -> bool:
    return products_visible_to(user).filter(pk=product.pk).exists()


def can_manage_product(user, product: DataProduct) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return bool(product_roles(user, product) & set(Ownership.MANAGING_ROLES))


def can_register_product(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or user.has_perm("catalog.add_dataproduct")


def can_manage_domains(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)
