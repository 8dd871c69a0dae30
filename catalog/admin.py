"""Django admin for stewards.

Superusers see and change everything. Other staff users need Django's model
permissions as usual. On top of those, they see only the products they own or
steward (`managed_products`) and the rows that hang from them, and they change
a row only when `can_manage_product` allows it for its product. Rows derived
from lineage (SLA periods, contract violations) and notifications are read
only. So are roles: the catalog's pages and API change them through
`catalog.services`, which keeps a product's last owner and leaves the owner
role to owners.
"""

from django.contrib import admin

from catalog.models import (
    ContractViolation,
    DataContract,
    DataProduct,
    Domain,
    Feature,
    Notification,
    OutputPort,
    Ownership,
    ServiceLevel,
    SlaPeriod,
    Tag,
)
from catalog.permissions import can_manage_product
from catalog.selectors import managed_products
from catalog.services import ownership_add


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "updated_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


class ProductScopedAdmin(admin.ModelAdmin):
    """An admin that limits staff who are not superusers to the rows of the
    products they manage.

    `product_path` is the lookup from the model to its DataProduct.
    """

    product_path = "product"

    def _product_of(self, obj) -> DataProduct:
        for step in self.product_path.split("__"):
            obj = getattr(obj, step)
        return obj

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        lookup = f"{self.product_path}__in"
        return queryset.filter(**{lookup: managed_products(request.user)})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is DataProduct and not request.user.is_superuser:
            kwargs["queryset"] = managed_products(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _may_manage(self, request, obj) -> bool:
        return obj is None or can_manage_product(request.user, self._product_of(obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and self._may_manage(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and self._may_manage(request, obj)


class ReadOnly:
    """Lists rows without letting the admin add, change or delete them: rows the
    catalog derives or sends, and roles, which follow rules the admin skips."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, ProductScopedAdmin):
    pass


class OwnershipInline(ReadOnly, admin.TabularInline):
    model = Ownership
    extra = 0
    raw_id_fields = ["user", "group"]


class OutputPortInline(admin.TabularInline):
    model = OutputPort
    extra = 0
    raw_id_fields = ["dataset"]


@admin.register(DataProduct)
class DataProductAdmin(ProductScopedAdmin):
    list_display = ["name", "domain", "lifecycle", "classification", "updated_at"]
    list_filter = ["lifecycle", "classification", "contains_personal_data", "domain"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["tags"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [OwnershipInline, OutputPortInline]

    def _product_of(self, obj):
        return obj

    def get_queryset(self, request):
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=managed_products(request.user))

    def save_model(self, request, obj, form, change):
        """Save the product and, when it is new, make its creator its owner, as the
        catalog's register form does."""
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            ownership_add(product=obj, role=Ownership.Role.OWNER, user=request.user)


@admin.register(Ownership)
class OwnershipAdmin(ReadOnlyAdmin):
    list_display = ["product", "role", "user", "group", "created_at"]
    list_filter = ["role"]
    search_fields = ["product__name", "user__username", "group__name"]
    raw_id_fields = ["user", "group"]


@admin.register(OutputPort)
class OutputPortAdmin(ProductScopedAdmin):
    list_display = ["product", "dataset", "created_at"]
    search_fields = ["product__name", "dataset__name"]
    list_select_related = ["product", "dataset__namespace"]
    raw_id_fields = ["dataset"]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(ProductScopedAdmin):
    list_display = ["product", "freshness", "schedule", "availability_target"]
    search_fields = ["product__name"]


@admin.register(Feature)
class FeatureAdmin(ProductScopedAdmin):
    list_display = ["name", "product", "entity", "value_type"]
    list_filter = ["value_type"]
    search_fields = ["name", "product__name", "entity"]
    raw_id_fields = ["source_dataset"]


@admin.register(DataContract)
class DataContractAdmin(ProductScopedAdmin):
    product_path = "port__product"
    list_display = ["port", "version", "compatibility", "created_at"]
    list_filter = ["compatibility"]
    search_fields = ["port__product__name", "port__dataset__name", "version"]
    # TODO: new contract versions are added through the contracts service, which
    # parses the semantic version; the admin changes only their compatibility.
    readonly_fields = [
        "port",
        "version",
        "version_major",
        "version_minor",
        "version_patch",
        "fields",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SlaPeriod)
class SlaPeriodAdmin(ReadOnlyAdmin):
    list_display = ["product", "status", "started_at", "ended_at"]
    list_filter = ["status"]
    search_fields = ["product__name"]


@admin.register(ContractViolation)
class ContractViolationAdmin(ReadOnlyAdmin):
    product_path = "contract__port__product"
    list_display = ["contract", "kind", "field_path", "detected_at", "resolved_at"]
    list_filter = ["kind"]
    search_fields = ["field_path", "contract__port__product__name"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "kind", "product", "subject", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "recipient__username", "product__name"]
