"""The data-trust view: how well a product, or a domain's products, kept their
promises over a window of days (selectors only).

For each subject it reports the SLA status and freshness against the target,
SLA attainment, the schema change rate, the share of failed runs and the open
contract violations, with one value of each per UTC day. The history is read
from timestamps already stored (runs, schema versions, violations, SLA periods),
so it needs no snapshot table:
- freshness at a day's end is the time since the newest COMPLETE run that wrote
  each port by then. A product is fresh when its stalest port is within target.
- a schema change is a schema fingerprint new to a port (its dataset or any
  alias of it), other than the port's first schema;
- a run counts on the day it ended, or of its state time when no end was sent.
  The failed share is the runs in state FAIL or ABORT among the COMPLETE, FAIL
  and ABORT runs that wrote a port;
- a violation is open at a day's end when detected before and not resolved by
  then.
A domain sums its products. A run that wrote ports of two products counts once
for each. The number of queries is the same whatever the number of products,
ports and runs.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from catalog import trust_queries
from catalog.models import (
    DataProduct,
    Domain,
    ServiceLevel,
    SlaPeriod,
    SlaStatus,
)
from catalog.sla import DayAttainment, attainment_percent, sla_attainment_by_product

DEFAULT_DAYS = 30


@dataclass(frozen=True)
class TrustDay:
    """One UTC day of a trust history; counts are at the day's end (now, today)."""

    day: date
    # Percent of the day's known SLA time that was within the SLA.
    attainment: float | None
    # Products within their freshness target, of those whose freshness is known.
    fresh_products: int
    known_products: int
    # Age of the stalest port at the day's end, for a single product.
    freshness_age: timedelta | None
    schema_changes: int
    runs: int
    failed_runs: int
    open_violations: int

    @property
    def fresh_percent(self) -> float | None:
        return _percent(self.fresh_products, self.known_products)

    @property
    def freshness_hours(self) -> float | None:
        if self.freshness_age is None:
            return None
        return round(self.freshness_age.total_seconds() / 3600, 1)

    @property
    def failed_percent(self) -> float | None:
        return _percent(self.failed_runs, self.runs)


@dataclass(frozen=True)
class ProductTrust:
    product: DataProduct
    now: datetime
    days: int
    # The status of the open SLA period, as of the last evaluation, and since when.
    sla_status: str | None
    sla_since: datetime | None
    freshness_target: timedelta | None
    availability_target: Decimal | None
    # Age of the stalest port now; None until every port has a COMPLETE run.
    freshness_age: timedelta | None
    attainment: list[DayAttainment]
    history: list[TrustDay]

    @property
    def attainment_percent(self) -> float | None:
        return attainment_percent(self.attainment)

    @property
    def schema_changes(self) -> int:
        return sum(day.schema_changes for day in self.history)

    @property
    def schema_changes_per_week(self) -> float:
        return round(self.schema_changes * 7 / self.days, 2)

    @property
    def runs(self) -> int:
        return sum(day.runs for day in self.history)

    @property
    def failed_runs(self) -> int:
        return sum(day.failed_runs for day in self.history)

    @property
    def failed_percent(self) -> float | None:
        return _percent(self.failed_runs, self.runs)

    @property
    def open_violations(self) -> int:
        return self.history[-1].open_violations

    @property
    def freshness_target_hours(self) -> float | None:
        if self.freshness_target is None:
            return None
        return round(self.freshness_target.total_seconds() / 3600, 1)

    @property
    def is_fresh(self) -> bool | None:
        if self.freshness_age is None or self.freshness_target is None:
            return None
        return self.freshness_age <= self.freshness_target


@dataclass(frozen=True)
class DomainTrust:
    domain: Domain
    now: datetime
    days: int
    # The products of the domain that the reader may see.
    products: list[ProductTrust]
    history: list[TrustDay] = field(default_factory=list)

    @property
    def status_counts(self) -> dict[str, int]:
        counts = {status: 0 for status in SlaStatus.values}
        for trust in self.products:
            if trust.sla_status:
                counts[trust.sla_status] += 1
        return counts

    @property
    def attainment_percent(self) -> float | None:
        days = [day for trust in self.products for day in trust.attainment]
        return attainment_percent(days)

    @property
    def schema_changes(self) -> int:
        return sum(trust.schema_changes for trust in self.products)

    @property
    def schema_changes_per_week(self) -> float:
        return round(self.schema_changes * 7 / self.days, 2)

    @property
    def runs(self) -> int:
        return sum(trust.runs for trust in self.products)

    @property
    def failed_runs(self) -> int:
        return sum(trust.failed_runs for trust in self.products)

    @property
    def failed_percent(self) -> float | None:
        return _percent(self.failed_runs, self.runs)

    @property
    def open_violations(self) -> int:
        return sum(trust.open_violations for trust in self.products)


def _percent(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return round(100 * part / whole, 2)


def product_trust(
    product: DataProduct, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> ProductTrust:
    """Build the trust view of one product over the last `days` UTC days."""
    return _products_trust([product.pk], days=days, now=now or timezone.now())[0]


def domain_trust(
    domain: Domain,
    products,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> DomainTrust:
    """Build the trust view of a domain from `products`.

    Pass only the products the reader may see, such as
    `products_visible_to(user)`: the domain's share of them is counted.
    """
    now = now or timezone.now()
    product_ids = list(products.filter(domain=domain).values_list("pk", flat=True))
    trusts = _products_trust(product_ids, days=days, now=now)
    if not trusts:
        return DomainTrust(domain, now, days, trusts, _empty_history(days, now))
    history = [
        _sum_days(
            [trust.history[index] for trust in trusts],
            [trust.attainment[index] for trust in trusts],
        )
        for index in range(days)
    ]
    return DomainTrust(domain, now, days, trusts, history)


def _sum_days(day_rows: list[TrustDay], attainment: list[DayAttainment]) -> TrustDay:
    return TrustDay(
        day=day_rows[0].day,
        # Each product weighs as much as its known SLA time that day.
        attainment=attainment_percent(attainment),
        fresh_products=sum(row.fresh_products for row in day_rows),
        known_products=sum(row.known_products for row in day_rows),
        freshness_age=None,
        schema_changes=sum(row.schema_changes for row in day_rows),
        runs=sum(row.runs for row in day_rows),
        failed_runs=sum(row.failed_runs for row in day_rows),
        open_violations=sum(row.open_violations for row in day_rows),
    )


def _empty_history(days: int, now: datetime) -> list[TrustDay]:
    first_day = (now - timedelta(days=days - 1)).date()
    return [
        TrustDay(first_day + timedelta(days=i), None, 0, 0, None, 0, 0, 0, 0)
        for i in range(days)
    ]


@dataclass(frozen=True)
class _Facts:
    """The rows the trust queries read for a set of products, by product id."""

    window: trust_queries.Window
    open_periods: dict[int, SlaPeriod]
    ports: dict[int, list[int]]
    successes: dict[int, dict[int, datetime]]
    runs: dict[tuple[int, int], tuple[int, int]]
    schema_changes: dict[tuple[int, int], int]
    violations: dict[tuple[int, int], int]
    attainment: dict[int, list[DayAttainment]]


def _products_trust(
    product_ids: list[int], *, days: int, now: datetime
) -> list[ProductTrust]:
    """Build the trust view of each product, in eight queries for any number."""
    window = trust_queries.Window(now, days)
    products = list(
        DataProduct.objects.filter(pk__in=product_ids).select_related("service_level")
    )
    open_periods = SlaPeriod.objects.filter(
        product_id__in=product_ids, ended_at__isnull=True
    ).only("product_id", "status", "started_at")
    facts = _Facts(
        window=window,
        open_periods={period.product_id: period for period in open_periods},
        ports=trust_queries.ports_by_product(product_ids),
        successes=trust_queries.successes_by_port(product_ids, window),
        runs=trust_queries.runs_by_product_day(product_ids, window),
        schema_changes=trust_queries.schema_changes_by_product_day(product_ids, window),
        violations=trust_queries.open_violations_by_product_day(product_ids, window),
        attainment=sla_attainment_by_product(product_ids, days=days, now=now),
    )
    return [_product_trust(product, facts) for product in products]


def _product_trust(product: DataProduct, facts: _Facts) -> ProductTrust:
    window = facts.window
    level = getattr(product, "service_level", None)
    target = level.freshness if level else None
    ages = trust_queries.freshness_ages(
        facts.ports[product.pk], facts.successes, window
    )
    attainment = facts.attainment[product.pk]

    history = []
    for index in range(window.days):
        known = ages[index] is not None and target is not None
        runs, failed_runs = facts.runs.get((product.pk, index), (0, 0))
        history.append(
            TrustDay(
                day=window.first_day + timedelta(days=index),
                attainment=attainment[index].percent,
                fresh_products=int(known and ages[index] <= target),
                known_products=int(known),
                freshness_age=ages[index],
                schema_changes=facts.schema_changes.get((product.pk, index), 0),
                runs=runs,
                failed_runs=failed_runs,
                open_violations=facts.violations.get((product.pk, index), 0),
            )
        )

    period = facts.open_periods.get(product.pk)
    return ProductTrust(
        product=product,
        now=window.now,
        days=window.days,
        sla_status=period.status if period else None,
        sla_since=period.started_at if period else None,
        freshness_target=target,
        availability_target=level.availability_target if level else None,
        freshness_age=ages[-1],
        attainment=attainment,
        history=history,
    )


@dataclass(frozen=True)
class AttainmentChart:
    """SLA attainment per day over a window, for the product page."""

    days: list[DayAttainment]
    availability_target: Decimal | None

    @property
    def percent(self) -> float | None:
        return attainment_percent(self.days)


def sla_attainment_chart(
    product: DataProduct, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> AttainmentChart:
    """Read the product's attainment per day and its target (two queries)."""
    attainment = sla_attainment_by_product([product.pk], days=days, now=now)
    target = (
        ServiceLevel.objects.filter(product=product)
        .values_list("availability_target", flat=True)
        .first()
    )
    return AttainmentChart(attainment[product.pk], target)
