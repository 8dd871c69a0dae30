"""Service levels: set a product's SLA, evaluate it against real runs, report it."""


def sla_evaluate(*, product_ids: list[int] | None = None) -> None:
    """Evaluate the SLAs of these products (all products when None)."""
    # Filled in with the SLA evaluation.
