"""The per-day queries behind the trust view, each one query for any number of
products: freshness from COMPLETE runs, terminal and failed runs, schema
changes and open contract violations. Day indexes count from the window's
first UTC day."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, DateField, F, Max, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate

from catalog.models import OutputPort
from lineage.models import Direction, Run, RunDataset

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


@dataclass
class Window:
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


def ports_by_product(product_ids: list[int]) -> dict[int, list[int]]:
    by_product = {pk: [] for pk in product_ids}
    rows = OutputPort.objects.filter(product_id__in=product_ids).values_list(
        "product_id", "pk"
    )
    for product_id, port_id in rows:
        by_product[product_id].append(port_id)
    return by_product


def successes_by_port(
    product_ids: list[int], window: Window
) -> dict[int, dict[int, datetime]]:
    """Find the last COMPLETE run end of each port per day index. Index -1 is
    the last one before the window."""
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


def freshness_ages(
    port_ids: list[int], successes: dict, window: Window
) -> list[timedelta | None]:
    """Compute the age of the stalest port at each day's end. An age is None
    while a port has no COMPLETE run, or when the product has no port."""
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


def runs_by_product_day(
    product_ids: list[int], window: Window
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


def _count_by_product_day(
    sql: str, product_ids: list[int], window: Window
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


def schema_changes_by_product_day(
    product_ids: list[int], window: Window
) -> dict[tuple[int, int], int]:
    return _count_by_product_day(_SCHEMA_CHANGES_SQL, product_ids, window)


def open_violations_by_product_day(
    product_ids: list[int], window: Window
) -> dict[tuple[int, int], int]:
    """Violations open at each day's end, per product and day index."""
    return _count_by_product_day(_OPEN_VIOLATIONS_SQL, product_ids, window)
