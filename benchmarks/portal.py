"""The portal under test: a dedicated database and gunicorn with production settings.

`bench_database()` drops and recreates `groundskeeper_bench` (or
$BENCH_DATABASE) from a migrated template (`groundskeeper_bench_template`,
migrated again on every call, which is quick once it is up to date), so each
benchmark starts from empty tables.
`PortalServer` runs gunicorn on loopback with DEBUG off, a random SECRET_KEY
and SECURE_HTTPS=false, and stops it on exit.
"""

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from benchmarks.client import Connection

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
SERVER_URL = os.environ.get("BENCH_SERVER_URL", "postgres://postgres@127.0.0.1:5432")
# Set BENCH_DATABASE to run two benchmarks at once without dropping each other's
# database.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "groundskeeper_bench")
TEMPLATE_DATABASE = f"{BENCH_DATABASE}_template"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 60


def database_url(name: str) -> str:
    return f"{SERVER_URL}/{name}"


def portal_env(database: str) -> dict[str, str]:
    """Return the environment of a production-like portal process."""
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECURE_HTTPS="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url(database),
        ALLOWED_HOSTS=f"{HOST},localhost",
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def manage(*args: str, database: str = BENCH_DATABASE) -> str:
    """Run a manage.py command against `database` and return its standard output."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=portal_env(database),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed with exit status "
            f"{result.returncode}:\n{result.stderr}"
        )
    return result.stdout


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(database_url("postgres"), autocommit=True)


def bench_database() -> str:
    """Recreate the benchmark database, empty and migrated; return its URL."""
    with _admin_connection() as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE_DATABASE]
        ).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
    logger.info("Migrating %s", TEMPLATE_DATABASE)
    manage("migrate", "--noinput", database=TEMPLATE_DATABASE)
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        admin.execute(
            f'CREATE DATABASE "{BENCH_DATABASE}" TEMPLATE "{TEMPLATE_DATABASE}"'
        )
    return database_url(BENCH_DATABASE)


def create_api_key(name: str, *scopes: str) -> str:
    """Create an API key in the benchmark database with the product's command."""
    args = ["create_api_key", name]
    for scope in scopes:
        args += ["--scope", scope]
    output = manage(*args)
    # The command prints the raw key on a line of its own, among other text.
    for line in output.splitlines():
        word = line.strip()
        if word.startswith("gk_"):
            return word
    raise RuntimeError(f"create_api_key printed no key:\n{output}")


def server_version() -> str:
    with _admin_connection() as admin:
        return admin.execute("SHOW server_version").fetchone()[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class PortalServer:
    """gunicorn serving `portal.wsgi` on loopback, as a context manager.

    gthread workers keep connections alive between requests, which the sync
    worker does not do.
    """

    def __init__(self, *, workers: int, threads: int, log_path: Path):
        self.workers = workers
        self.threads = threads
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def settings(self) -> dict:
        return {
            "server": "gunicorn",
            "worker_class": "gthread",
            "workers": self.workers,
            "threads": self.threads,
        }

    def __enter__(self) -> "PortalServer":
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "portal.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={self.workers}",
            "--worker-class=gthread",
            f"--threads={self.threads}",
            "--keep-alive=75",
            "--timeout=120",
            "--log-level=warning",
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=portal_env(BENCH_DATABASE),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_until_healthy()
        logger.info(
            "gunicorn %s serves on port %s (%s workers x %s threads)",
            self.process.pid,
            self.port,
            self.workers,
            self.threads,
        )
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gunicorn exited with status {self.process.returncode}; "
                    f"see {self.log_path}."
                )
            # Any response will do, because /health also checks the Celery
            # broker, which the benchmarks do not use.
            try:
                with Connection(HOST, self.port) as connection:
                    connection.request(
                        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                    )
                return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(
            f"gunicorn did not respond to /health within {STARTUP_TIMEOUT_S} s; "
            f"see {self.log_path}."
        )

    def __exit__(self, *exc_info) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            logger.warning("gunicorn %s did not stop; killing it", self.process.pid)
            self.process.kill()
            self.process.wait()
