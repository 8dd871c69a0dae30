"""Full-text search over the catalog: products, lineage datasets and ML features.

`indexing` writes the SearchDocument rows, `query` parses what users type,
`params` checks request parameters, `selectors` ranks, counts facets and
suggests titles, `tasks` indexes lineage datasets after ingestion.
"""
