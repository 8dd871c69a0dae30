"""A real Celery worker, as a subprocess, against a real broker and the test database.

Each test gives its worker a queue of its own, so test runs sharing one Redis
database never take each other's tasks.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from kombu import Connection
from openlineage.client.serde import Serde

from lineage.demo import DEFAULT_SEED, build_demo_events
from lineage.ingestion.derive import store_events
from lineage.ingestion.parsing import parse_event
from lineage.ingestion.rebuild import DERIVED_TABLES
from lineage.models import Dataset, Event, Job, Run
from portal.celery import app as celery_app

pytestmark = [pytest.mark.worker]

BASE_DIR = Path(__file__).resolve().parent.parent
TASK_TIMEOUT_SECONDS = 60


def database_url_of_tests() -> str:
    """The URL of the database this test runs against (pytest-django's copy)."""
    database = connection.settings_dict
    password = f":{database['PASSWORD']}" if database["PASSWORD"] else ""
    host = database["HOST"] or "127.0.0.1"
    port = database["PORT"] or 5432
    return f"postgres://{database['USER']}{password}@{host}:{port}/{database['NAME']}"


def broker_env(broker: str, tmp_path: Path) -> dict:
    if broker == "redis":
        return {"CELERY_BROKER_URL": os.environ["CELERY_BROKER_URL"]}
    return {"CELERY_BROKER_URL": "filesystem://", "CELERY_BROKER_DIR": str(tmp_path)}


def send_rebuild(env: dict, queue: str) -> None:
    """Send lineage.tasks.rebuild_lineage through the broker the worker uses.

    An explicit connection, because Celery prefers the CELERY_BROKER_URL of the
    environment over any broker an app is configured with.
    """
    options = {}
    if env["CELERY_BROKER_URL"] == "filesystem://":
        folder = Path(env["CELERY_BROKER_DIR"])
        options = {
            "data_folder_in": str(folder / "out"),
            "data_folder_out": str(folder / "out"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
        }
        for path in options.values():
            Path(path).mkdir(parents=True, exist_ok=True)
    with Connection(env["CELERY_BROKER_URL"], transport_options=options) as broker:
        celery_app.send_task(
            "lineage.tasks.rebuild_lineage", queue=queue, connection=broker
        )


def start_worker(queue: str, env: dict) -> subprocess.Popen:
    worker_env = {
        **os.environ,
        **env,
        "DATABASE_URL": database_url_of_tests(),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            f"--queues={queue}",
            f"--hostname={queue}@%h",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=BASE_DIR,
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(worker: subprocess.Popen) -> str:
    """Stop the worker (warm shutdown, then kill) and return its log."""
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output


def wait_for(condition, timeout: float = TASK_TIMEOUT_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


def store_demo_events() -> None:
    payloads = [
        json.loads(Serde.to_json(event)) for event in build_demo_events(DEFAULT_SEED)
    ]
    store_events([parse_event(payload) for payload in payloads])


def erase_derived_tables() -> None:
    """Keep the raw event log and empty what is derived from it (and the
    catalog rows that refer to it)."""
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(DERIVED_TABLES)} CASCADE")


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_worker_rebuilds_lineage(transactional_db, tmp_path, broker):
    store_demo_events()
    erase_derived_tables()
    assert Event.objects.count() == 110
    assert Job.objects.count() == 0

    env = broker_env(broker, tmp_path)
    queue = f"test-worker-{uuid.uuid4().hex}"
    # Sent before the worker starts: the message waits in its queue. Sending to
    # a starting worker races with its queue declaration on the filesystem
    # broker, which can route the message nowhere.
    send_rebuild(env, queue)
    worker = start_worker(queue, env)
    try:
        rebuilt = wait_for(lambda: Run.objects.count() == 54)
    finally:
        log = stop_worker(worker)

    assert rebuilt, f"The worker did not rebuild lineage. Its log:\n{log}"
    assert "Task lineage.tasks.rebuild_lineage" in log
    assert "succeeded" in log
    assert Job.objects.count() == 19
    assert Dataset.objects.count() == 20


@pytest.mark.django_db
def test_health_ok_with_filesystem_broker(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
    }

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
