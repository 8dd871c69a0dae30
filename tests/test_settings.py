"""Settings read from the environment, checked in subprocesses with controlled env."""

import ast
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/groundskeeper"


def production_env(**overrides) -> dict:
    """The variables of a production deployment, with nothing else inherited."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.com",
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def setting(name: str, env: dict) -> str:
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.conf import settings; print(settings.{name})",
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_without_secret_key_fails():
    result = manage("check", env=production_env(SECRET_KEY=None))

    assert result.returncode == 1
    assert (
        "SECRET_KEY is not set. Set it in the environment to a long random string "
        "(`make run` generates one for the demo)." in result.stderr
    )


def test_deploy_check_clean_with_production_env():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=production_env()
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_deploy_security_checks_clean_with_production_env():
    result = manage(
        "check",
        "--deploy",
        "--tag",
        "security",
        "--fail-level",
        "WARNING",
        env=production_env(),
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    "database_url", ["sqlite:///var/portal.sqlite3", "mysql://root@127.0.0.1/portal"]
)
def test_non_postgres_database_rejected(database_url):
    result = manage("check", env=production_env(DATABASE_URL=database_url))

    assert result.returncode == 1
    assert "DATABASE_URL must point at PostgreSQL (postgres://...)." in result.stderr


def test_debug_off_by_default():
    env = production_env()

    assert setting("DEBUG", env) == "False"


@pytest.mark.parametrize(
    "name, expected",
    [
        ("SECURE_SSL_REDIRECT", "True"),
        ("SESSION_COOKIE_SECURE", "True"),
        ("CSRF_COOKIE_SECURE", "True"),
        ("SECURE_HSTS_SECONDS", "31536000"),
    ],
)
def test_https_assumed_by_default(name, expected):
    assert setting(name, production_env()) == expected


def test_secure_https_false_serves_plain_http():
    env = production_env(SECURE_HTTPS="false")

    assert setting("SECURE_SSL_REDIRECT", env) == "False"
    assert setting("SESSION_COOKIE_SECURE", env) == "False"
    assert setting("SECURE_HSTS_SECONDS", env) == "0"


def test_filesystem_broker_folders_from_env(tmp_path):
    env = production_env(
        CELERY_BROKER_URL="filesystem://", CELERY_BROKER_DIR=str(tmp_path)
    )

    options = ast.literal_eval(setting("CELERY_BROKER_TRANSPORT_OPTIONS", env))

    assert options["data_folder_in"] == str(tmp_path / "out")
    assert options["data_folder_out"] == str(tmp_path / "out")
    assert options["processed_folder"] == str(tmp_path / "processed")
    assert options["control_folder"] == str(tmp_path / "control")
