from celery import shared_task

from lineage.ingestion.rebuild import rebuild_lineage as rebuild_lineage_tables


@shared_task
def rebuild_lineage() -> dict:
    """Rebuild the derived lineage tables from the raw event log."""
    result = rebuild_lineage_tables()
    return {"replayed": result.replayed, "skipped": result.skipped}
