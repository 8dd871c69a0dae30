from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from catalog.models import SlaPeriod, SlaStatus
from catalog.sla import attainment_percent, service_level_set, sla_attainment
from tests.catalog_factories import make_product

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _period(product, status, start, end=None):
    SlaPeriod.objects.create(
        product=product, status=status, started_at=start, ended_at=end
    )


def test_attainment_counts_at_risk_skips_unknown(owner):
    product = make_product("Orders", owner=owner)
    day = datetime(2026, 3, 9, tzinfo=UTC)
    _period(product, SlaStatus.UNKNOWN, day - timedelta(days=5), day)
    _period(product, SlaStatus.MET, day, day + timedelta(hours=12))
    _period(
        product, SlaStatus.AT_RISK, day + timedelta(hours=12), day + timedelta(hours=18)
    )
    _period(product, SlaStatus.BREACHED, day + timedelta(hours=18))

    days = sla_attainment(product, days=3, now=NOW)

    assert [d.day.isoformat() for d in days] == [
        "2026-03-08",
        "2026-03-09",
        "2026-03-10",
    ]
    assert [d.percent for d in days] == [None, 75.0, 0.0]
    # 18 hours within SLA out of 24 + 12 known hours.
    assert attainment_percent(days) == 50.0


def test_service_level_rejects_bad_targets(owner):
    product = make_product("Orders", owner=owner)

    with pytest.raises(ValidationError) as error:
        service_level_set(product=product, schedule="every day")
    assert "schedule" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        service_level_set(product=product, schedule="0 25 * * *")
    assert "schedule" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        service_level_set(product=product, freshness=timedelta(0))
    assert error.value.message_dict["freshness"] == [
        "Freshness must be longer than zero."
    ]

    level = service_level_set(
        product=product, freshness=timedelta(hours=6), schedule="0 6 * * *"
    )
    assert level.schedule == "0 6 * * *"
