"""Production settings refuse to start without secrets and pass `check --deploy` cleanly."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SECRETS}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        timeout=120, env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
    )


def production_env() -> dict[str, str]:
    return {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "stresslab.example.org",
        "DATABASE_URL": "postgres://stresslab@db.example.org:5432/stresslab",
        "REDIS_URL": "redis://redis.example.org:6379/0",
    }


def test_production_without_secrets_fails_with_a_clear_message():
    result = run_manage("check", env={})
    assert result.returncode != 0
    assert "Production settings need these environment variables" in result.stderr
    for name in SECRETS:
        assert name in result.stderr


@pytest.mark.parametrize("missing", SECRETS)
def test_production_names_each_missing_secret(missing):
    env = production_env()
    del env[missing]
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert f"environment variables: {missing}" in result.stderr


def test_production_passes_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
