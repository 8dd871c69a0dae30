"""Reads behind the catalog's pages: home, domain, product page and dashboard.

Each function returns the rows one section of a page shows, joined or
prefetched, so a page costs a fixed number of queries whatever the number of
owners, ports, features or products. Every product comes through
`products_visible_to`, `is_visible_to` or `managed_products`.
"""

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from catalog import product_lineage
from catalog.models import (
    ContractViolation,
    DataContract,
    DataProduct,
    Domain,
    Feature,
    Notification,
    OutputPort,
    Ownership,
    SlaPeriod,
    SlaStatus,
)
from catalog.selectors import (
    is_visible_to,
    managed_products,
    products_visible_to,
)
from lineage.models import Dataset

RECENTLY_UPDATED_LIMIT = 10
# The product page and the dashboard list at most this many open violations.
VIOLATION_LIMIT = 100
DASHBOARD_NOTIFICATION_LIMIT = 50
DATASET_SEARCH_LIMIT = 20


def _current_sla_status() -> Subquery:
    open_period = SlaPeriod.objects.filter(
        product=OuterRef("pk"), ended_at__isnull=True
    )
    return Subquery(open_period.values("status")[:1])


def with_list_columns(products: QuerySet[DataProduct]) -> QuerySet[DataProduct]:
    """Join what a product list shows: domain and current SLA status."""
    return products.select_related("domain").annotate(sla_status=_current_sla_status())


def domains_with_counts(user) -> QuerySet[Domain]:
    """List every domain with `product_count`, the products the user can see."""
    visible = (
        products_visible_to(user)
        .filter(domain=OuterRef("pk"))
        .order_by()
        .values("domain")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Domain.objects.annotate(
        product_count=Coalesce(Subquery(visible, output_field=IntegerField()), Value(0))
    ).order_by("name")


def recently_updated(user, *, limit: int = RECENTLY_UPDATED_LIMIT) -> list:
    products = products_visible_to(user).order_by("-updated_at", "pk")[:limit]
    return list(with_list_columns(products))


def my_products(user) -> list[DataProduct]:
    return list(with_list_columns(managed_products(user)).order_by("name", "pk"))


def domain_products(user, domain: Domain) -> QuerySet[DataProduct]:
    products = products_visible_to(user).filter(domain=domain)
    return with_list_columns(products).order_by("name", "pk")


def product_for_page(user, slug: str) -> DataProduct:
    """Fetch a product the user can see, or raise Http404 (also when it is hidden)."""
    product = DataProduct.objects.select_related("domain").filter(slug=slug).first()
    if product is None or not is_visible_to(user, product):
        raise Http404("No data product matches the given query.")
    return product


@dataclass(frozen=True)
class RoleHolders:
    role: str
    label: str
    ownerships: list[Ownership]


def ownerships_by_role(product: DataProduct) -> list[RoleHolders]:
    """Group the product's owners, stewards and technical contacts, in that order."""
    ownerships = (
        Ownership.objects.filter(product=product)
        .select_related("user", "group")
        .order_by("role", "user__username", "group__name", "pk")
    )
    by_role = {role: [] for role in Ownership.Role.values}
    for ownership in ownerships:
        by_role[ownership.role].append(ownership)
    return [
        RoleHolders(role, str(label).capitalize(), by_role[role])
        for role, label in Ownership.Role.choices
    ]


def ports_with_contracts(product: DataProduct) -> list[OutputPort]:
    """List the product's ports in three queries, each with `current_contract`
    (or None) and `open_violations` (newest first) attached."""
    ports = list(
        OutputPort.objects.filter(product=product)
        .select_related("dataset__namespace")
        .order_by("dataset__namespace__name", "dataset__name", "pk")
    )
    # DISTINCT ON keeps the first row per port: its highest version.
    current = DataContract.objects.filter(port__product=product).order_by(
        "port_id", "-version_major", "-version_minor", "-version_patch"
    )
    contract_of = {c.port_id: c for c in current.distinct("port_id")}
    violations = ContractViolation.objects.filter(
        contract__port__product=product, resolved_at__isnull=True
    ).select_related("contract", "schema_version__dataset__namespace")[:VIOLATION_LIMIT]
    violations_of = {}
    for violation in violations:
        violations_of.setdefault(violation.contract.port_id, []).append(violation)
    for port in ports:
        port.current_contract = contract_of.get(port.pk)
        port.open_violations = violations_of.get(port.pk, [])
    return ports


def product_features(product: DataProduct) -> list[Feature]:
    return list(
        Feature.objects.filter(product=product).select_related(
            "source_dataset__namespace"
        )
    )


def related_products(user, product: DataProduct) -> tuple[list, list]:
    """List the input and consumer products that lineage shows and the user can
    see. Products hidden from the user are left out, not counted."""
    input_ids, consumer_ids = map(set, product_lineage.nearest_product_ids(product))
    if not input_ids and not consumer_ids:
        return [], []
    visible = list(
        with_list_columns(products_visible_to(user))
        .filter(pk__in=input_ids | consumer_ids)
        .order_by("name", "pk")
    )
    return (
        [related for related in visible if related.pk in input_ids],
        [related for related in visible if related.pk in consumer_ids],
    )


@dataclass(frozen=True)
class Dashboard:
    products: list[DataProduct]
    sla_problems: list[SlaPeriod]
    violations: list[ContractViolation]
    access_requests: list[Notification]
    notifications: list[Notification]
    unread_count: int


def dashboard(user) -> Dashboard:
    """Collect what needs the attention of a product's owners and stewards."""
    managed = managed_products(user)
    sla_problems = (
        SlaPeriod.objects.filter(
            product__in=managed,
            ended_at__isnull=True,
            status__in=[SlaStatus.BREACHED, SlaStatus.AT_RISK],
        )
        .select_related("product")
        .order_by("status", "started_at", "pk")
    )
    violations = (
        ContractViolation.objects.filter(
            contract__port__product__in=managed, resolved_at__isnull=True
        )
        .select_related("contract__port__product", "contract__port__dataset__namespace")
        .order_by("-detected_at", "pk")[:VIOLATION_LIMIT]
    )
    mine = Notification.objects.filter(recipient=user).select_related("product")
    access_requests = mine.filter(
        kind=Notification.Kind.ACCESS_REQUEST, read_at__isnull=True
    )
    return Dashboard(
        products=my_products(user),
        sla_problems=list(sla_problems),
        violations=list(violations),
        access_requests=list(access_requests),
        notifications=list(mine[:DASHBOARD_NOTIFICATION_LIMIT]),
        unread_count=mine.filter(read_at__isnull=True).count(),
    )


def datasets_to_link(name_contains: str, *, limit: int = DATASET_SEARCH_LIMIT):
    """Canonical lineage datasets whose name contains the text, with the port
    that already publishes each one (None when no product does)."""
    datasets = (
        Dataset.objects.filter(canonical__isnull=True, name__icontains=name_contains)
        .select_related("namespace", "output_port")
        .order_by("namespace__name", "name", "pk")
    )
    return list(datasets[:limit])
