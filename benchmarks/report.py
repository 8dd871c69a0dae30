"""The machine a benchmark ran on, and where its results go."""

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.portal import server_version

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict:
    cpu_model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_kb = int(meminfo.readline().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(memory_kb / 1024**2, 1),
        "postgresql": server_version(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_result(name: str, result: dict) -> Path:
    """Write `result` with the machine's description to results/<name>-<time>.json."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{name}-{stamp}.json"
    path.write_text(json.dumps({"machine": machine(), **result}, indent=2) + "\n")
    return path


def log_path(name: str) -> Path:
    """Return the file a benchmark's gunicorn writes its log to."""
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR / f"{name}-gunicorn.log"
