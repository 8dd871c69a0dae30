"""OpenLineage events in: parsing and validation, then derivation into lineage.

`parsing` turns request bodies into `ParsedEvent`s or field errors; `derive`
writes parsed events into the raw log and the derived tables, set-based, so a
batch of one and a batch of thousands take the same path.
"""
