"""Writes of the lineage app: OpenLineage ingestion.

The API views, the `ingest_openlineage` command and tasks all go through
`ingest_body` or `ingest_payloads`, so every path validates the same way.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from lineage.ingestion import derive
from lineage.ingestion.body import Readable, read_body, split_body
from lineage.ingestion.events import EventRejected, IngestWarning, ParsedEvent
from lineage.ingestion.group_commit import committer
from lineage.ingestion.parsing import parse_event
from lineage.signals import events_stored

logger = logging.getLogger(__name__)


@dataclass
class EventOutcome:
    """The result for one event of a request or file, by its position."""

    index: int
    event_id: int | None = None
    duplicate: bool = False
    warnings: list[IngestWarning] = field(default_factory=list)
    error: EventRejected | None = None

    @property
    def status(self) -> int:
        if self.error is not None:
            return self.error.status
        return 200 if self.duplicate else 201

    def as_dict(self) -> dict:
        if self.error is not None:
            return {
                "index": self.index,
                "status": self.status,
                "error": {
                    "code": self.error.code,
                    "message": self.error.message,
                    "field": self.error.field,
                },
            }
        return {
            "index": self.index,
            "status": self.status,
            "id": self.event_id,
            "duplicate": self.duplicate,
            "warnings": [warning.as_dict() for warning in self.warnings],
        }


@dataclass
class IngestResult:
    # False when the body was one JSON object, which gets a single-event response.
    is_batch: bool
    outcomes: list[EventOutcome]

    @property
    def accepted(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == 201)

    @property
    def duplicates(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.duplicate)

    @property
    def rejected(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.error is not None)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "results": [outcome.as_dict() for outcome in self.outcomes],
        }


def ingest_body(
    *,
    stream: Readable | None,
    content_length: int | None,
    content_type: str = "application/json",
    content_encoding: str = "",
    api_key_id: int | None = None,
) -> IngestResult:
    """Read, validate and store the events of one request body.

    Raises EventRejected for a problem with the body as a whole: over the size
    limit, not JSON or too many events. A problem with one event of a batch is
    that event's outcome and does not stop the others.
    """
    try:
        body = read_body(
            stream,
            content_length=content_length,
            content_encoding=content_encoding,
            max_bytes=settings.LINEAGE_MAX_BODY_BYTES,
        )
        is_batch, items = split_body(
            body,
            content_type=content_type,
            max_events=settings.LINEAGE_MAX_BATCH_EVENTS,
        )
    except EventRejected as rejection:
        logger.info(
            "Rejected an OpenLineage body from API key %s: %s (%s)",
            api_key_id,
            rejection.code,
            rejection.message,
        )
        raise
    del body
    outcomes = ingest_payloads(items, api_key_id=api_key_id)
    return IngestResult(is_batch=is_batch, outcomes=outcomes)


def ingest_payloads(
    items: list, *, api_key_id: int | None = None, source: str = "API"
) -> list[EventOutcome]:
    """Validate decoded events and store the valid ones in one transaction.

    `items` are decoded JSON values; an EventRejected among them (an NDJSON line
    that was not JSON) is reported as that event's outcome. `source` names where
    the events came from in log lines.
    """
    outcomes = [EventOutcome(index=index) for index in range(len(items))]
    valid: list[tuple[EventOutcome, ParsedEvent]] = []
    for outcome, item in zip(outcomes, items, strict=True):
        try:
            if isinstance(item, EventRejected):
                raise item
            event = _parse(item)
        except EventRejected as rejection:
            outcome.error = rejection
            logger.info(
                "Rejected OpenLineage event %s from %s (API key %s): %s at %s: %s",
                outcome.index,
                source,
                api_key_id,
                rejection.code,
                rejection.field,
                rejection.message,
            )
            continue
        outcome.warnings = event.warnings
        valid.append((outcome, event))

    if valid:
        stored = _store_events([event for _, event in valid], api_key_id=api_key_id)
        for (outcome, _), stored_event in zip(valid, stored, strict=True):
            outcome.event_id = stored_event.event_id
            outcome.duplicate = not stored_event.created
        new_events = [event for (outcome, event) in valid if not outcome.duplicate]
        if new_events:
            events_stored.send(sender=ingest_payloads, events=new_events)
    return outcomes


def _store_events(
    events: list[ParsedEvent], *, api_key_id: int | None
) -> list[derive.StoredEvent]:
    # A caller inside a transaction (a test, a larger write) stores in it, so the
    # events commit or roll back with the rest of its work.
    if not settings.LINEAGE_GROUP_COMMIT or connection.in_atomic_block:
        return derive.store_events(events, api_key_id=api_key_id)
    return committer.store(
        events, api_key_id=api_key_id, timeout=settings.LINEAGE_COMMIT_TIMEOUT
    )


def _parse(item) -> ParsedEvent:
    """Parse one event; a parser bug rejects that event alone, never the batch."""
    try:
        return parse_event(item)
    except EventRejected:
        raise
    except Exception as error:  # noqa: BLE001 - reported as this event's outcome
        logger.exception("Parsing an OpenLineage event failed unexpectedly")
        raise EventRejected(
            f"The event could not be read ({type(error).__name__}). It was logged; "
            "check it against the OpenLineage spec.",
            field=None,
            code="unreadable",
        ) from error
