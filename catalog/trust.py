"""The data-trust view: how well a product, or a domain's products, kept their
promises over a window of days (selectors only).

For each subject it reports the SLA status and freshness against the target,
SLA attainment, the schema change rate, the share of failed runs and the open
contract violations, with one value of each per UTC day. The history is read
from timestamps already stored (runs, schema versions, violations, SLA periods),
so it needs no snapshot table:
- freshness at a day's end is the time since the newest COMPLETE run that wrote
  each port by then; a product is fresh when its stalest port is within target;
- a schema change is a schema fingerprint new to a port (its dataset or any
  alias of it), other than the port's first schema;
- a run counts on the day it ended (its state time when no end was sent); a
  failed run is one in state FAIL or ABORT, among the COMPLETE, FAIL and ABORT
  runs that wrote a port;
- a violation is open at a day's end when detected before and not resolved by
  then.
A domain sums its products. A run that wrote ports of two products counts once
for each. The number of queries is the same whatever the number of products,
ports and runs.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    Max,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from catalog.models import (
    DataProduct,
    Domain,
    OutputPort,
    ServiceLevel,
    SlaPeriod,
    SlaStatus,
)
from catalog.sla import DayAttainment, attainment_percent, sla_attainment_by_product
from lineage.models import Direction, Run, RunDataset

DEFAULT_DAYS = 30
FAILED_STATES = (Run.State.FAIL, Run.State.ABORT)
# Bounds the walk along alias chains, which two concurrent ingestion batches
# could close into a cycle.
MAX_ALIAS_DEPTH = 32

_SCHEMA_CHANGES_SQL = """
WITH RECURSIVE family(port_id, product_id, dataset_id, depth) AS (
    SELECT id, product_id, dataset_id, 0
    FROM catalog_outputport WHERE product_id = ANY(%(products)s)
    UNION ALL
    SELECT family.port_id, family.product_id, alias.id, family.depth + 1
    FROM family JOIN lineage_dataset alias ON alias.canonical_id = family.dataset_id
    WHERE family.depth < %(max_depth)s
),
fingerprints AS (
    SELECT family.port_id, family.product_id, version.fingerprint,
        MIN(version.first_seen_at) AS seen_at
    FROM family
    JOIN lineage_schemaversion version ON version.dataset_id = family.dataset_id
    GROUP BY family.port_id, family.product_id, version.fingerprint
),
ranked AS (
    SELECT product_id, seen_at,
        ROW_NUMBER() OVER (PARTITION BY port_id ORDER BY seen_at, fingerprint) AS n
    FROM fingerprints
)
SELECT product_id, (seen_at AT TIME ZONE 'UTC')::date, COUNT(*)
FROM ranked
WHERE n > 1 AND seen_at >= %(start)s AND seen_at <= %(now)s
GROUP BY 1, 2
"""

_OPEN_VIOLATIONS_SQL = """
SELECT port.product_id, (days.day_start AT TIME ZONE 'UTC')::date, COUNT(*)
FROM generate_series(%(start)s::timestamptz, %(last)s::timestamptz, '1 day')
    AS days(day_start)
CROSS JOIN LATERAL (
    SELECT LEAST(days.day_start + interval '1 day', %(now)s::timestamptz) AS day_end
) AS bounds
JOIN catalog_contractviolation violation
    ON violation.detected_at < bounds.day_end
    AND (violation.resolved_at IS NULL OR violation.resolved_at >= bounds.day_end)
JOIN catalog_datacontract contract ON contract.id = violation.contract_id
JOIN catalog_outputport port ON port.id = contract.port_id
WHERE port.product_id = ANY(%(products)s)
GROUP BY 1, 2
"""


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
    """The trust view of one product over the last `days` UTC days."""
    return _products_trust([product.pk], days=days, now=now or timezone.now())[0]


def domain_trust(
    domain: Domain,
    products,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
) -> DomainTrust:
    """The trust view of a domain over `products`: pass only those the reader
    may see, such as `products_visible_to(user).filter(domain=domain)`."""
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


@dataclass
class _Window:
    now: datetime
    days: int

    @property
    def first_day(self) -> date:
        return (self.now.astimezone(UTC) - timedelta(days=self.days - 1)).date()

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, datetime.min.time(), tzinfo=UTC)

    def day_end(self, index: int) -> datetime:
        return min(self.start + timedelta(days=index + 1), self.now)

    def index(self, day: date) -> int:
        return (day - self.first_day).days


def _products_trust(
    product_ids: list[int], *, days: int, now: datetime
) -> list[ProductTrust]:
    """Eight queries for any number of products."""
    window = _Window(now, days)
    products = list(
        DataProduct.objects.filter(pk__in=product_ids).select_related("service_level")
    )
    open_periods = {
        period.product_id: period
        for period in SlaPeriod.objects.filter(
            product_id__in=product_ids, ended_at__isnull=True
        ).only("product_id", "status", "started_at")
    }
    ports = _ports_by_product(product_ids)
    successes = _successes_by_port(product_ids, window)
    runs = _runs_by_product_day(product_ids, window)
    schema_changes = _rows_by_product_day(_SCHEMA_CHANGES_SQL, product_ids, window)
    violations = _rows_by_product_day(_OPEN_VIOLATIONS_SQL, product_ids, window)
    attainment = sla_attainment_by_product(product_ids, days=days, now=now)
    trusts = []
    for product in products:
        level = getattr(product, "service_level", None)
        period = open_periods.get(product.pk)
        target = level.freshness if level else None
        ages = _freshness_ages(ports[product.pk], successes, window)
        known = [age is not None and target is not None for age in ages]
        history = [
            TrustDay(
                day=window.first_day + timedelta(days=i),
                attainment=attainment[product.pk][i].percent,
                fresh_products=int(known[i] and ages[i] <= target),
                known_products=int(known[i]),
                freshness_age=ages[i],
                schema_changes=schema_changes.get((product.pk, i), 0),
                runs=runs.get((product.pk, i), (0, 0))[0],
                failed_runs=runs.get((product.pk, i), (0, 0))[1],
                open_violations=violations.get((product.pk, i), 0),
            )
            for i in range(days)
        ]
        trusts.append(
            ProductTrust(
                product=product,
                now=now,
                days=days,
                sla_status=period.status if period else None,
                sla_since=period.started_at if period else None,
                freshness_target=target,
                availability_target=level.availability_target if level else None,
                freshness_age=ages[-1],
                attainment=attainment[product.pk],
                history=history,
            )
        )
    return trusts


def _ports_by_product(product_ids: list[int]) -> dict[int, list[int]]:
    by_product = {pk: [] for pk in product_ids}
    rows = OutputPort.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "pk"
    )
    for product_id, port_id in rows:
        by_product[product_id].append(port_id)
    return by_product


def _successes_by_port(
    product_ids: list[int], window: _Window
) -> dict[int, dict[int, datetime]]:
    """The last COMPLETE run end of each port per day index; -1 holds the last
    one before the window."""
    day = Case(
        When(
            run__ended_at__lt=window.start, then=Value(window.first_day - timedelta(1))
        ),
        default=TruncDate("run__ended_at", tzinfo=UTC),
        output_field=DateField(),
    )
    rows = (
        RunDataset.objects.filter(
            direction=Direction.OUTPUT,
            dataset__output_port__product_id__in=product_ids,
            run__state=Run.State.COMPLETE,
            run__ended_at__lte=window.now,
        )
        .values(port=F("dataset__output_port__id"), day=day)
        .annotate(last_success_at=Max("run__ended_at"))
        .order_by()
    )
    by_port: dict[int, dict[int, datetime]] = {}
    for row in rows:
        by_port.setdefault(row["port"], {})[window.index(row["day"])] = row[
            "last_success_at"
        ]
    return by_port


def _freshness_ages(
    port_ids: list[int], successes: dict, window: _Window
) -> list[timedelta | None]:
    """The age of the stalest port at each day's end; None while a port has
    no COMPLETE run or the product has no port."""
    latest = {port_id: successes.get(port_id, {}).get(-1) for port_id in port_ids}
    ages = []
    for index in range(window.days):
        for port_id in port_ids:
            ended = successes.get(port_id, {}).get(index)
            if ended is not None:
                latest[port_id] = ended
        known = [ended for ended in latest.values() if ended is not None]
        if not port_ids or len(known) < len(port_ids):
            ages.append(None)
        else:
            ages.append(window.day_end(index) - min(known))
    return ages


def _runs_by_product_day(
    product_ids: list[int], window: _Window
) -> dict[tuple[int, int], tuple[int, int]]:
    """(terminal runs, failed runs) per product and day index."""
    rows = (
        RunDataset.objects.filter(
            direction=Direction.OUTPUT,
            dataset__output_port__product_id__in=product_ids,
            run__state__in=Run.TERMINAL_STATES,
        )
        .annotate(finished_at=Coalesce("run__ended_at", "run__state_time"))
        .filter(finished_at__gte=window.start, finished_at__lte=window.now)
        .values(
            port_product=F("dataset__output_port__product_id"),
            day=TruncDate("finished_at", tzinfo=UTC),
        )
        .annotate(
            runs=Count("run_id", distinct=True),
            failed=Count(
                "run_id", distinct=True, filter=Q(run__state__in=FAILED_STATES)
            ),
        )
        .order_by()
    )
    return {
        (row["port_product"], window.index(row["day"])): (row["runs"], row["failed"])
        for row in rows
    }


def _rows_by_product_day(
    sql: str, product_ids: list[int], window: _Window
) -> dict[tuple[int, int], int]:
    parameters = {
        "products": product_ids,
        "start": window.start,
        "last": window.start + timedelta(days=window.days - 1),
        "now": window.now,
        "max_depth": MAX_ALIAS_DEPTH,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    return {(product_id, window.index(day)): count for product_id, day, count in rows}


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
    """The product's attainment per day and its target (two queries)."""
    attainment = sla_attainment_by_product([product.pk], days=days, now=now)
    target = (
        ServiceLevel.objects.filter(product=product)
        .values_list("availability_target", flat=True)
        .first()
    )
    return AttainmentChart(attainment[product.pk], target)
