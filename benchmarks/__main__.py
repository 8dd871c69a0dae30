"""`python -m benchmarks <name> [options]` (or `make bench`), where <name> is
ingest, lineage, history, catalog-estate, search, product-page or all.

Each benchmark recreates the groundskeeper_bench database, runs gunicorn on
loopback, prints its result as JSON and writes it to benchmarks/results/.
Exits with status 1 when a target is missed, 2 when a run failed.
"""

import argparse
import json
import logging
import os
import sys

from benchmarks import catalog_estate, history, ingest, lineage, search
from benchmarks.report import write_result

logger = logging.getLogger("benchmarks")

BENCHMARKS = {
    "ingest": ingest.run,
    "lineage": lineage.run,
    "history": history.run,
    "catalog-estate": catalog_estate.run,
    "search": search.run_search,
    "product-page": search.run_product_page,
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("benchmark", choices=[*BENCHMARKS, "all"])
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn worker processes"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=16,
        help="threads per gunicorn worker (16, as gunicorn.conf.py)",
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the generators")
    parser.add_argument(
        "--repeats", type=int, default=200, help="timed lineage requests per point"
    )

    group = parser.add_argument_group("ingest")
    group.add_argument(
        "--duration", type=float, default=20, help="measured seconds per phase"
    )
    group.add_argument(
        "--warmup", type=float, default=5, help="seconds sent before measuring"
    )
    group.add_argument(
        "--connections",
        type=int,
        default=48,
        help="client keep-alive connections: concurrent producers",
    )
    group.add_argument(
        "--batch-size", type=int, default=500, help="events per batch request"
    )
    group.add_argument(
        "--single-pool",
        type=int,
        default=40_000,
        help="distinct events prepared for the single-event phase",
    )
    group.add_argument(
        "--batch-pool",
        type=int,
        default=250_000,
        help="distinct events prepared for the batch phase",
    )

    group.add_argument(
        "--ingest-dags",
        type=int,
        default=200,
        help="DAGs of five jobs whose runs the events describe",
    )

    group = parser.add_argument_group("lineage")
    group.add_argument("--nodes", type=int, default=100_000, help="nodes in the graph")
    group.add_argument("--depth", type=int, default=5, help="depth of the query")

    group = parser.add_argument_group("history")
    group.add_argument(
        "--history-dags", type=int, default=1, help="DAGs of five jobs that run"
    )
    group.add_argument(
        "--few-runs", type=int, default=100, help="first point, runs/job"
    )
    group.add_argument(
        "--many-runs", type=int, default=10_000, help="second point, runs/job"
    )

    group = parser.add_argument_group("catalog-estate, search and product-page")
    group.add_argument(
        "--products", type=int, default=100_000, help="data products generated"
    )
    group.add_argument(
        "--datasets",
        type=int,
        default=100_000,
        help="lineage datasets generated, ten fields each",
    )
    group.add_argument(
        "--reuse-estate",
        action="store_true",
        help="search and product-page: keep the estate already in the database",
    )
    group.add_argument(
        "--clients", type=int, default=20, help="product-page: concurrent clients"
    )
    group.add_argument(
        "--page-duration",
        type=float,
        default=20,
        help="product-page: measured seconds per page",
    )
    group.add_argument(
        "--product-page-path",
        default="/catalog/products/{slug}/",
        help="product-page: path of a product page, {slug} replaced",
    )
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    options = parse_args(argv)
    names = list(BENCHMARKS) if options.benchmark == "all" else [options.benchmark]
    missed = False
    for name in names:
        logger.info("Running the %s benchmark", name)
        load_before = os.getloadavg()[0]
        try:
            result = BENCHMARKS[name](options)
        except RuntimeError:
            logger.exception("The %s benchmark failed", name)
            return 2
        # Anything else running on the machine skews the numbers: a 1-minute
        # load average well over 1 before the run means the machine was busy.
        result["load_average_1m"] = {
            "before": load_before,
            "after": os.getloadavg()[0],
        }
        path = write_result(name, result)
        print(json.dumps(result, indent=2))
        logger.info("Wrote %s", path)
        missed |= any(
            isinstance(part, dict) and part.get("met") is False
            for part in result.values()
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
