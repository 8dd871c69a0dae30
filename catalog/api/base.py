"""The mixin of the catalog's views under `/products/<slug>/`: the product they
work on. A write that loses a race gets 409 from `core.errors`."""

from catalog.api.permissions import CatalogAccess
from catalog.models import DataProduct
from catalog.selectors import products_visible_to
from core.errors import ApiError


def product_not_found(slug: str) -> ApiError:
    return ApiError(f"Data product {slug!r} not found.", code="not_found", status=404)


class ProductScopedMixin:
    """For views of what hangs from one product (owners, ports, SLA, features).

    The product must be visible to the caller, or the response is 404, so that
    a product's existence is never revealed. Writes then need
    `can_manage_product`, which `CatalogAccess` checks on it.
    """

    permission_classes = [CatalogAccess]

    def product_of(self, obj) -> DataProduct:
        return obj if isinstance(obj, DataProduct) else obj.product

    @property
    def product(self) -> DataProduct:
        if not hasattr(self, "_product"):
            slug = self.kwargs["slug"]
            product = products_visible_to(self.request.user).filter(slug=slug).first()
            if product is None:
                raise product_not_found(slug)
            self.check_object_permissions(self.request, product)
            self._product = product
        return self._product
