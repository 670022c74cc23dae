"""A real Celery worker process for end-to-end tests (Redis or filesystem broker)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psutil

from config.celery import app

ROOT = Path(__file__).resolve().parents[2]
QUEUES = ("training", "inference")


def queues_purge() -> None:
    """Drop messages left by earlier runs so the worker only sees this test's tasks."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in QUEUES:
            try:
                channel.queue_purge(queue)
            except Exception:  # queue never declared yet
                pass


@contextmanager
def celery_worker(log_path: Path, *, lock_ttl_s: float = 5.0, visibility_s: float = 3600.0):
    """Start `celery worker` (prefork, one child) on the test database; stop it after."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.retraining.worker_settings",
        "RETRAIN_LOCK_TTL_S": str(lock_ttl_s),
        "RETRAIN_TEST_VISIBILITY_S": str(visibility_s),
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
    }
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        ",".join(QUEUES),
        "--pool=prefork",
        "--concurrency=1",
        "-n",
        f"rt-{uuid.uuid4().hex[:8]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "INFO",
    ]
    log = open(log_path, "ab")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        worker_stop(proc)
        log.close()


def worker_stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for child in children:
        if child.is_running():
            child.kill()


def pool_child_pid(proc: subprocess.Popen, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(proc.pid).children()
        if children:
            return children[0].pid
        time.sleep(0.2)
    raise AssertionError("the worker started no pool process")


def wait_for(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
