"""Filters for the catalog's pages."""

from datetime import timedelta

from django import template

register = template.Library()

_SLA_BADGES = {
    "met": ("text-bg-success", "met"),
    "at_risk": ("text-bg-warning", "at risk"),
    "breached": ("text-bg-danger", "breached"),
    "unknown": ("text-bg-secondary", "unknown"),
}


@register.filter
def sla_badge_class(status: str | None) -> str:
    return _SLA_BADGES.get(status or "", ("text-bg-light border", ""))[0]


@register.filter
def sla_label(status: str | None) -> str:
    """Name an SLA status in words. A product with no status yet is "not evaluated"."""
    return _SLA_BADGES.get(status or "", ("", "not evaluated"))[1]


@register.filter
def freshness(value: timedelta | None) -> str:
    """Format a freshness target as "1 d 6 h", "2 h 30 min" or "45 min"."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else ""]
    parts.append(f"{minutes} min" if minutes else "")
    text = " ".join(part for part in parts if part)
    return text or f"{int(value.total_seconds())} s"
