"""On-demand benchmarks of ingestion and lineage queries (`python -m benchmarks`).

They run the portal for real (gunicorn with production settings) against a
dedicated database, `groundskeeper_bench`, which each benchmark drops and
recreates. Results are written as JSON to benchmarks/results/ and summarised by
hand in docs/benchmarks.md. The test suite runs only the generators, at tiny
sizes (tests/test_benchmarks_smoke.py).
"""
