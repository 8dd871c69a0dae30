"""Who may call the catalog API, and on which objects.

Reading needs a signed-in session or an API key with the `read` or
`catalog:write` scope. Each view's queryset limits what is read through
`products_visible_to`. Writing needs a signed-in session (DRF checks its CSRF
token) or a key with `catalog:write`, which always acts for a user. The object rule is
`catalog.permissions.can_manage_product` on the product an object belongs to,
which each view names with `product_of(obj)`.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from catalog.permissions import can_manage_domains, can_manage_product
from core.models import ApiKey

READ_SCOPES = {ApiKey.Scope.READ, ApiKey.Scope.CATALOG_WRITE}


class CatalogAccess(BasePermission):
    message = "You may not change this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        api_key = request.auth if isinstance(request.auth, ApiKey) else None
        if request.method in SAFE_METHODS:
            if api_key is None or READ_SCOPES & set(api_key.scopes):
                return True
            self.message = "This API key lacks the read scope."
            return False
        if api_key is not None and not api_key.has_scope(ApiKey.Scope.CATALOG_WRITE):
            self.message = "This API key lacks the catalog:write scope."
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return can_manage_product(request.user, view.product_of(obj))


class DomainAccess(CatalogAccess):
    """Reading as `CatalogAccess`; changing domains is for admins only."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in SAFE_METHODS or can_manage_domains(request.user):
            return True
        self.message = "Only admins may change domains."
        return False

    def has_object_permission(self, request, view, obj) -> bool:
        return True
