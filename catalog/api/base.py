"""Mixins of the catalog's views: the product that views under
`/products/<slug>/` work on, and the 409 for a write that lost a race."""

import logging

from django.db import IntegrityError

from catalog.api.permissions import CatalogAccess
from catalog.models import DataProduct
from catalog.selectors import products_visible_to
from core.errors import ApiError

logger = logging.getLogger(__name__)


class ConcurrentWriteMixin:
    """Return 409 when a write breaks a database constraint.

    Serializers and services check uniqueness before writing, so a constraint
    fails only when another request wrote the same row in between. Sent again,
    the request gets the usual 400 that names the field.
    """

    def handle_exception(self, exc):
        if isinstance(exc, IntegrityError):
            diagnostics = getattr(exc.__cause__, "diag", None)
            logger.warning(
                "Concurrent write to %s broke constraint %s",
                self.request.path,
                getattr(diagnostics, "constraint_name", None),
            )
            exc = ApiError(
                "Another request changed the same data at the same time: send "
                "the request again.",
                code="conflict",
                status=409,
            )
        return super().handle_exception(exc)


def product_not_found(slug: str) -> ApiError:
    return ApiError(f"Data product {slug!r} not found.", code="not_found", status=404)


class ProductScopedMixin(ConcurrentWriteMixin):
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
