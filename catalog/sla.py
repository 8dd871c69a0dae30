"""Service levels: set a product's SLA, evaluate it against real runs, report it.

Evaluation (`sla_evaluate`) works per output port, then takes the worst port:
- a port's age is the time since the `ended_at` of the newest COMPLETE run that
  wrote its dataset, up to the evaluation time;
- unknown: no freshness target is set, the product has no output port, or no
  COMPLETE run has written a port yet;
- breached: the age is over the freshness target;
- at risk: the age is over 80 % of the target, or the cron schedule named a run
  time at least SCHEDULE_GRACE ago and no run has completed since that time;
- met: otherwise.
Ports rank met < unknown < at risk < breached, so a product is met only when
every port is known to be fresh. The cron schedule follows Celery's crontab,
in UTC: day of month and day of week must both match.

A status change closes the open SlaPeriod and opens one that starts at the
evaluation time. The beat task evaluates every minute, so periods are exact to
about a minute.

Attainment counts the time an SLA was met or at risk (still within its
freshness) against the time its status was known, over a window of days.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from catalog.models import (
    DataProduct,
    Notification,
    OutputPort,
    ServiceLevel,
    SlaPeriod,
    SlaStatus,
)
from catalog.notifications import notify_product_managers
from catalog.product_lineage import downstream_products
from lineage.models import Direction, Run, RunDataset

logger = logging.getLogger(__name__)

_WITHIN_SLA = (SlaStatus.MET, SlaStatus.AT_RISK)


def parse_schedule(expression: str) -> crontab:
    """Read a five-field cron expression (minute hour day month weekday)."""
    parts = expression.split()
    if len(parts) != 5:
        raise ValidationError(
            {
                "schedule": "Give five cron fields: minute, hour, day of month, "
                "month and day of week, such as '0 6 * * *'."
            }
        )
    minute, hour, day, month, weekday = parts
    try:
        return crontab(
            minute=minute,
            hour=hour,
            day_of_month=day,
            month_of_year=month,
            day_of_week=weekday,
        )
    except (ValueError, TypeError) as error:
        raise ValidationError(
            {"schedule": f"This is not a valid cron expression: {error}"}
        ) from error


@transaction.atomic
def service_level_set(
    *,
    product: DataProduct,
    freshness: timedelta | None = None,
    schedule: str = "",
    availability_target: Decimal | None = None,
) -> ServiceLevel:
    """Create or replace a product's SLA."""
    if freshness is not None and freshness <= timedelta(0):
        raise ValidationError({"freshness": "Freshness must be longer than zero."})
    if schedule:
        parse_schedule(schedule)
    if availability_target is not None and not (
        Decimal(0) < availability_target <= Decimal(100)
    ):
        raise ValidationError(
            {"availability_target": "The target is a percentage above 0, up to 100."}
        )
    service_level, _ = ServiceLevel.objects.update_or_create(
        product=product,
        defaults={
            "freshness": freshness,
            "schedule": schedule,
            "availability_target": availability_target,
        },
    )
    logger.info("Set the SLA of product %s", product.pk)
    return service_level


@transaction.atomic
def service_level_delete(*, service_level: ServiceLevel) -> None:
    """Remove a product's SLA; its recorded status periods stay as history."""
    logger.info("Deleting the SLA of product %s", service_level.product_id)
    service_level.delete()


def current_sla_period(product: DataProduct) -> SlaPeriod | None:
    return SlaPeriod.objects.filter(product=product, ended_at__isnull=True).first()


@dataclass(frozen=True)
class DayAttainment:
    day: date
    within_seconds: float
    known_seconds: float

    @property
    def percent(self) -> float | None:
        if not self.known_seconds:
            return None
        return round(100 * self.within_seconds / self.known_seconds, 2)


def sla_attainment(
    product: DataProduct, *, days: int = 30, now: datetime | None = None
) -> list[DayAttainment]:
    """Attainment per UTC day over the last `days` days, oldest first (one query)."""
    return sla_attainment_by_product([product.pk], days=days, now=now)[product.pk]


def sla_attainment_by_product(
    product_ids: list[int], *, days: int = 30, now: datetime | None = None
) -> dict[int, list[DayAttainment]]:
    """`sla_attainment` of many products at once (one query)."""
    now = now or timezone.now()
    first_day = (now - timedelta(days=days - 1)).date()
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
    periods = SlaPeriod.objects.filter(
        product_id__in=product_ids, started_at__lt=now
    ).exclude(ended_at__lte=window_start)
    within = {pk: dict.fromkeys(range(days), 0.0) for pk in product_ids}
    known = {pk: dict.fromkeys(range(days), 0.0) for pk in product_ids}
    for period in periods.only("product_id", "status", "started_at", "ended_at"):
        if period.status == SlaStatus.UNKNOWN:
            continue
        start = max(period.started_at, window_start)
        end = min(period.ended_at or now, now)
        while start < end:
            index = (start.date() - first_day).days
            day_end = window_start + timedelta(days=index + 1)
            piece = (min(end, day_end) - start).total_seconds()
            known[period.product_id][index] += piece
            if period.status in _WITHIN_SLA:
                within[period.product_id][index] += piece
            start = day_end
    return {
        pk: [
            DayAttainment(first_day + timedelta(days=i), within[pk][i], known[pk][i])
            for i in range(days)
        ]
        for pk in product_ids
    }


def attainment_percent(days: list[DayAttainment]) -> float | None:
    """Attainment over the whole window."""
    known = sum(day.known_seconds for day in days)
    if not known:
        return None
    return round(100 * sum(day.within_seconds for day in days) / known, 2)


# A port older than this share of its freshness target is at risk.
AT_RISK_SHARE = 0.8
# How long after a scheduled time its run may take to complete before the
# product is at risk.
SCHEDULE_GRACE = timedelta(minutes=30)
# Products evaluated per batch when all are evaluated.
EVALUATION_BATCH_SIZE = 500
# Looking back this many days finds any time a valid schedule names, 29 February
# included.
_SCHEDULE_LOOKBACK_DAYS = 4 * 366

_RANK = {
    SlaStatus.MET: 0,
    SlaStatus.UNKNOWN: 1,
    SlaStatus.AT_RISK: 2,
    SlaStatus.BREACHED: 3,
}


def latest_scheduled_time(schedule: crontab, before: datetime) -> datetime | None:
    """Find the latest minute at or before `before` (UTC) that `schedule` names.

    None when the schedule names no time in the previous four years.
    """
    before = before.astimezone(UTC).replace(second=0, microsecond=0)
    for offset in range(_SCHEDULE_LOOKBACK_DAYS):
        day = before.date() - timedelta(days=offset)
        # Celery numbers the days of the week from Sunday = 0.
        if (
            day.month not in schedule.month_of_year
            or day.day not in schedule.day_of_month
            or day.isoweekday() % 7 not in schedule.day_of_week
        ):
            continue
        for hour in sorted(schedule.hour, reverse=True):
            if offset == 0 and hour > before.hour:
                continue
            minutes = [
                minute
                for minute in schedule.minute
                if offset or hour < before.hour or minute <= before.minute
            ]
            if minutes:
                return datetime.combine(day, time(hour, max(minutes)), tzinfo=UTC)
    return None


def describe_duration(duration: timedelta) -> str:
    """Write a duration for people, in its two largest units ("7 hours 5 minutes")."""
    seconds = int(duration.total_seconds())
    if seconds < 60:
        return "less than a minute"
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts[:2])


@dataclass(frozen=True)
class PortFreshness:
    """The newest COMPLETE run end of one output port's dataset."""

    port_id: int
    product_id: int
    dataset: str
    last_success_at: datetime | None


def port_freshness(
    product_ids: list[int], *, now: datetime
) -> dict[int, list[PortFreshness]]:
    """Read the ports of these products with their last successful update (one
    query).

    Runs that ended after `now` are left out, so that an evaluation at a past
    time counts only the runs that had ended by then.
    """
    # NOTE: no index orders a dataset's output runs by their end, so each port
    # costs a scan of its dataset's output runs.
    newest_success = (
        RunDataset.objects.filter(
            dataset_id=OuterRef("dataset_id"),
            direction=Direction.OUTPUT,
            run__state=Run.State.COMPLETE,
            run__ended_at__lte=now,
        )
        .order_by("-run__ended_at")
        .values("run__ended_at")[:1]
    )
    ports = (
        OutputPort.objects.filter(product_id__in=product_ids)
        .annotate(last_success_at=Subquery(newest_success))
        .values(
            "pk",
            "product_id",
            "dataset__namespace__name",
            "dataset__name",
            "last_success_at",
        )
        .order_by("pk")
    )
    by_product = {pk: [] for pk in product_ids}
    for port in ports:
        by_product[port["product_id"]].append(
            PortFreshness(
                port_id=port["pk"],
                product_id=port["product_id"],
                dataset=f"{port['dataset__namespace__name']}:{port['dataset__name']}",
                last_success_at=port["last_success_at"],
            )
        )
    return by_product


@dataclass(frozen=True)
class SlaOutcome:
    """The status an evaluation found, and the port that decided it."""

    status: str
    detail: str
    last_success_at: datetime | None = None
    age: timedelta | None = None
    freshness: timedelta | None = None


def _port_outcome(
    level: ServiceLevel,
    port: PortFreshness,
    now: datetime,
    expected_at: datetime | None,
) -> SlaOutcome:
    if port.last_success_at is None:
        return SlaOutcome(
            SlaStatus.UNKNOWN, f"No COMPLETE run has written {port.dataset} yet."
        )
    age = now - port.last_success_at
    target = describe_duration(level.freshness)
    detail = (
        f"{port.dataset} was last updated {describe_duration(age)} ago; "
        f"the freshness target is {target}."
    )
    if age > level.freshness:
        status = SlaStatus.BREACHED
    elif age > level.freshness * AT_RISK_SHARE:
        status = SlaStatus.AT_RISK
    elif expected_at is not None and port.last_success_at < expected_at:
        status = SlaStatus.AT_RISK
        detail += (
            f" The run scheduled for {expected_at:%Y-%m-%d %H:%M} UTC "
            "has not completed."
        )
    else:
        status = SlaStatus.MET
    return SlaOutcome(status, detail, port.last_success_at, age, level.freshness)


def sla_outcome(
    level: ServiceLevel, ports: list[PortFreshness], now: datetime
) -> SlaOutcome:
    """Decide a product's SLA status from its ports' freshness (no query)."""
    if level.freshness is None:
        return SlaOutcome(SlaStatus.UNKNOWN, "No freshness target is set.")
    if not ports:
        return SlaOutcome(SlaStatus.UNKNOWN, "The product has no output port.")
    expected_at = _expected_run_time(level, now)
    outcomes = [_port_outcome(level, port, now, expected_at) for port in ports]
    # The worst port decides; among equals, the one updated longest ago.
    return max(
        outcomes,
        key=lambda outcome: (_RANK[outcome.status], outcome.age or timedelta(0)),
    )


def _expected_run_time(level: ServiceLevel, now: datetime) -> datetime | None:
    """Find the latest scheduled run time whose grace has passed."""
    if not level.schedule:
        return None
    try:
        schedule = parse_schedule(level.schedule)
    except ValidationError:
        # `service_level_set` validates schedules, but the admin site does not.
        logger.warning(
            "Ignored the invalid SLA schedule of product %s", level.product_id
        )
        return None
    return latest_scheduled_time(schedule, now - SCHEDULE_GRACE)


def sla_evaluate(
    *, product_ids: list[int] | None = None, now: datetime | None = None
) -> list[SlaPeriod]:
    """Evaluate the SLAs of these products (all with an SLA when None).

    Returns the periods opened by status changes. Products whose status did not
    change cost no write, so evaluating twice changes nothing.
    """
    now = now or timezone.now()
    levels = ServiceLevel.objects.order_by("product_id")
    if product_ids is not None:
        levels = levels.filter(product_id__in=product_ids)
    level_ids = list(levels.values_list("pk", flat=True))
    opened = []
    for first in range(0, len(level_ids), EVALUATION_BATCH_SIZE):
        batch = levels.filter(pk__in=level_ids[first : first + EVALUATION_BATCH_SIZE])
        opened += _evaluate_batch(list(batch), now)
    return opened


def _evaluate_batch(levels: list[ServiceLevel], now: datetime) -> list[SlaPeriod]:
    product_ids = [level.product_id for level in levels]
    ports = port_freshness(product_ids, now=now)
    current = dict(
        SlaPeriod.objects.filter(
            product_id__in=product_ids, ended_at__isnull=True
        ).values_list("product_id", "status")
    )
    opened = []
    for level in levels:
        outcome = sla_outcome(level, ports[level.product_id], now)
        if current.get(level.product_id) == outcome.status:
            continue
        period = _sla_period_open(product_id=level.product_id, outcome=outcome, now=now)
        if period is not None:
            opened.append(period)
    return opened


@transaction.atomic
def _sla_period_open(
    *, product_id: int, outcome: SlaOutcome, now: datetime
) -> SlaPeriod | None:
    """Close the open period and open one with the new status, unless another
    evaluation got there first (the product row's lock orders them)."""
    product = DataProduct.objects.select_for_update().filter(pk=product_id).first()
    if product is None:
        return None

    current = SlaPeriod.objects.filter(product=product, ended_at__isnull=True).first()
    if current is not None and current.status == outcome.status:
        return None
    if current is not None and current.started_at > now:
        logger.info(
            "Skipped an SLA evaluation of product %s older than its status period %s",
            product_id,
            current.pk,
        )
        return None

    if current is not None:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    period = SlaPeriod.objects.create(
        product=product,
        status=outcome.status,
        started_at=now,
        last_success_at=outcome.last_success_at,
        detail=outcome.detail,
    )
    logger.info(
        "SLA of product %s is now %s (period %s)", product_id, outcome.status, period.pk
    )

    if outcome.status == SlaStatus.BREACHED:
        _notify_breach(product, period, outcome)
    return period


def _notify_breach(product: DataProduct, period: SlaPeriod, outcome: SlaOutcome):
    age = describe_duration(outcome.age)
    target = describe_duration(outcome.freshness)
    notify_product_managers(
        product=product,
        kind=Notification.Kind.SLA_BREACH,
        subject=f"SLA breached: {product.name}",
        body=f"{product.name} breached its SLA. {outcome.detail}",
        dedupe_key=f"sla-breach:{period.pk}",
    )
    # The managers of a downstream product may not see a draft or restricted
    # product, so the message names it only when every signed-in user may.
    upstream = product.name if _open_to_all(product) else "An upstream product"
    for downstream in downstream_products(product):
        notify_product_managers(
            product=downstream,
            kind=Notification.Kind.UPSTREAM_SLA_BREACH,
            subject=f"Upstream SLA breached for {downstream.name}",
            body=(
                f"{upstream}, upstream of {downstream.name}, breached its SLA: "
                f"it was last updated {age} ago; the freshness target is {target}."
            ),
            dedupe_key=f"sla-breach:{period.pk}:downstream:{downstream.pk}",
        )


def _open_to_all(product: DataProduct) -> bool:
    return (
        product.lifecycle != DataProduct.Lifecycle.DRAFT
        and product.classification != DataProduct.Classification.RESTRICTED
    )
