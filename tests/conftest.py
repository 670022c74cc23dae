"""Shared fixtures: real services when configured; CI=true turns a missing one into a failure."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CI = os.environ.get("CI", "").lower() == "true"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def require_or_skip(available: bool, what: str) -> None:
    """Skip when a service/browser is missing locally; fail under CI=true."""
    if available:
        return
    if CI:
        pytest.fail(f"{what} is required when CI=true")
    pytest.skip(f"{what} not available")


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
    require_or_skip(bool(path) and Path(path).exists(), "Debian chromium")
    return path


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    require_or_skip(bool(url), "Redis (REDIS_URL)")
    return url


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """A per-test folder for screenshots and logs, kept after the run."""
    path = ARTIFACTS / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session", autouse=True)
def _test_database_released(django_db_setup, django_db_blocker):
    """Before pytest-django drops the PostgreSQL test database, end sessions that server
    subprocesses (uvicorn, Celery workers) or executor threads left open, and say which:
    otherwise DROP DATABASE fails with "being accessed by other users"."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid), application_name, state FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        stray = cursor.fetchall()
    if stray:
        print(f"\nclosed {len(stray)} stray test-database session(s): {stray}")
