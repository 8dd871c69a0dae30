"""Service levels: set a product's SLA, evaluate it against real runs, report it.

Attainment counts the time an SLA was met or at risk (still within its
freshness) against the time its status was known, over a window of days.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import DataProduct, ServiceLevel, SlaPeriod, SlaStatus

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
    now = now or timezone.now()
    first_day = (now - timedelta(days=days - 1)).date()
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=now.tzinfo)
    periods = SlaPeriod.objects.filter(product=product, started_at__lt=now).exclude(
        ended_at__lte=window_start
    )
    within = dict.fromkeys(range(days), 0.0)
    known = dict.fromkeys(range(days), 0.0)
    for period in periods.only("status", "started_at", "ended_at"):
        if period.status == SlaStatus.UNKNOWN:
            continue
        start = max(period.started_at, window_start)
        end = min(period.ended_at or now, now)
        while start < end:
            index = (start.date() - first_day).days
            day_end = window_start + timedelta(days=index + 1)
            piece = (min(end, day_end) - start).total_seconds()
            known[index] += piece
            if period.status in _WITHIN_SLA:
                within[index] += piece
            start = day_end
    return [
        DayAttainment(first_day + timedelta(days=i), within[i], known[i])
        for i in range(days)
    ]


def attainment_percent(days: list[DayAttainment]) -> float | None:
    """Attainment over the whole window."""
    known = sum(day.known_seconds for day in days)
    if not known:
        return None
    return round(100 * sum(day.within_seconds for day in days) / known, 2)


def sla_evaluate(*, product_ids: list[int] | None = None) -> None:
    """Evaluate the SLAs of these products (all products when None)."""
    # TODO: filled in with the SLA evaluation.
