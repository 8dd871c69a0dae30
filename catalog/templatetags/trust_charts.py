"""Small server-rendered bar charts for the trust view and SLA attainment.

The charts are SVG drawn with geometry attributes and Bootstrap's text colour
classes (bars fill with `currentColor`), so the pages need no inline script or
style, which the Content-Security-Policy forbids.
"""

from dataclasses import dataclass

from django import template

from catalog.models import SlaStatus
from catalog.sla import describe_duration

register = template.Library()

BAR_WIDTH = 8
BAR_GAP = 2
CHART_HEIGHT = 60
# A day without data shows as a stub this tall, so that it reads as a gap.
EMPTY_BAR_HEIGHT = 2

# Whether more is better decides nothing here: each chart names its colour.
TONES = {
    "success": "text-success",
    "danger": "text-danger",
    "warning": "text-warning",
    "primary": "text-primary",
}


@dataclass(frozen=True)
class Bar:
    x: int
    y: float
    height: float
    label: str
    value_text: str
    has_value: bool


@register.inclusion_tag("catalog/_trust_chart.html")
def trust_bar_chart(
    days,
    metric: str,
    *,
    title: str,
    unit: str = "",
    tone: str = "primary",
    reference: float | None = None,
):
    """Draw one bar per day of `days` (objects with `.day`) for attribute `metric`.

    A `unit` of "%" scales bars from 0 to 100. Otherwise the largest value of the
    window, or `reference` if larger, is the full height. A `reference` (such as
    a target) is drawn as a dashed line.
    """
    values = [getattr(day, metric) for day in days]
    known = [value for value in values if value is not None]
    # A Decimal target would print its trailing zeros ("95.00").
    reference = None if reference is None else float(reference)
    if unit == "%":
        maximum = 100
    else:
        maximum = max([*known, reference or 0]) or 1
    bars = []
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        height = EMPTY_BAR_HEIGHT
        if value is not None:
            height = max(CHART_HEIGHT * value / maximum, 0)
        bars.append(
            Bar(
                x=index * (BAR_WIDTH + BAR_GAP),
                y=round(CHART_HEIGHT - height, 2),
                height=round(height, 2),
                label=day.day.isoformat(),
                value_text="no data" if value is None else f"{value:g}{unit}",
                has_value=value is not None,
            )
        )
    reference_y = None
    if reference is not None:
        reference_y = round(CHART_HEIGHT - CHART_HEIGHT * reference / maximum, 2)
    return {
        "bars": bars,
        "reference_y": reference_y,
        "reference_text": None if reference is None else f"{reference:g}{unit}",
        "title": title,
        "tone": TONES.get(tone, TONES["primary"]),
        "width": len(bars) * (BAR_WIDTH + BAR_GAP),
        "height": CHART_HEIGHT,
        "bar_width": BAR_WIDTH,
    }


@register.filter
def duration_words(value):
    """Write a duration for people ("7 hours 5 minutes"), or an em dash for None."""
    if value is None:
        return "—"
    return describe_duration(value)


_SLA_BADGE_CLASSES = {
    SlaStatus.MET: "text-bg-success",
    SlaStatus.AT_RISK: "text-bg-warning",
    SlaStatus.BREACHED: "text-bg-danger",
    SlaStatus.UNKNOWN: "text-bg-secondary",
}


@register.filter
def sla_badge_class(status: str | None) -> str:
    return _SLA_BADGE_CLASSES.get(status, "text-bg-light border")


@register.filter
def sla_status_label(status: str | None) -> str:
    """Write the status as people read it ("at risk"), or "not evaluated"."""
    if not status:
        return "not evaluated"
    # Only some choices have explicit labels; the others are capitalised.
    return SlaStatus(status).label.lower()
