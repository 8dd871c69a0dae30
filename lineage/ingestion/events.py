"""The contract between parsing and derivation: events that passed validation.

Everything here is already checked: names are non-empty strings, times are aware
datetimes in UTC, run ids are UUIDs. The interpreted facet values (`parent`,
`schema_fields`, `symlinks`, `column_lineage`, ...) are set only when the facet
was present and matched its facet schema. A facet that broke its schema is
still in `facets`, named in `invalid_facets`, and interpreted nowhere.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True, slots=True)
class IngestWarning:
    """A problem the event was accepted despite, reported back to the producer."""

    field: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True, slots=True)
class DatasetIdentifier:
    namespace: str
    name: str
    type: str = ""


@dataclass(frozen=True, slots=True)
class ColumnLineageInput:
    """One input field of an output field (ColumnLineageDatasetFacet)."""

    namespace: str
    name: str
    field: str
    # [{"type": "DIRECT", "subtype": "IDENTITY", "description": ..., "masking": ...}]
    transformations: tuple[dict, ...] = ()


@dataclass(slots=True)
class ParsedDataset:
    """An input or output of a run or job, or the dataset of a DatasetEvent."""

    namespace: str
    name: str
    # Dataset facets as sent, minus null ones.
    facets: dict = field(default_factory=dict)
    invalid_facets: frozenset[str] = frozenset()
    # inputFacets or outputFacets as sent: they describe this read or write.
    io_facets: dict = field(default_factory=dict)
    # Interpreted from valid facets:
    schema_fields: list[dict] | None = None  # SchemaDatasetFacet.fields, nested
    symlinks: tuple[DatasetIdentifier, ...] = ()
    # Output field name -> its inputs.
    column_lineage: dict[str, tuple[ColumnLineageInput, ...]] | None = None


@dataclass(frozen=True, slots=True)
class ParentRun:
    """ParentRunFacet: the job (and run, when it names one) this run belongs to."""

    job_namespace: str
    job_name: str
    run_id: UUID | None = None


@dataclass(slots=True)
class ParsedEvent:
    event_type: str  # "RunEvent", "DatasetEvent" or "JobEvent"
    # eventType of a RunEvent ("START", "COMPLETE", ...), "" when absent.
    run_state: str
    event_time: datetime
    # SHA-256 of the event with sorted keys: the identity used to store it once.
    event_hash: str
    payload: dict
    producer: str = ""
    schema_url: str = ""
    warnings: list[IngestWarning] = field(default_factory=list)

    # RunEvent only.
    run_id: UUID | None = None
    run_facets: dict = field(default_factory=dict)
    invalid_run_facets: frozenset[str] = frozenset()
    parent: ParentRun | None = None
    nominal_start_time: datetime | None = None
    nominal_end_time: datetime | None = None

    # RunEvent and JobEvent.
    job_namespace: str | None = None
    job_name: str | None = None
    job_facets: dict = field(default_factory=dict)
    invalid_job_facets: frozenset[str] = frozenset()
    inputs: list[ParsedDataset] = field(default_factory=list)
    outputs: list[ParsedDataset] = field(default_factory=list)

    # DatasetEvent only.
    dataset: ParsedDataset | None = None


class EventRejected(Exception):
    """An event that cannot be stored: its identity would be lost or it is unreadable.

    `field` is the dotted path of the offending input ("run.runId",
    "inputs[2].name") or None for the body as a whole; `status` is the HTTP status
    to respond with (400, or 413 for a body over the size limit).
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None,
        code: str = "invalid",
        status: int = 400,
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
        self.status = status
