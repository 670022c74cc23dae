"""Shared browser-test fixtures: a uvicorn server on the test database and a Chromium launcher.

`live_asgi_url` runs config.asgi:application in a subprocess on a free port against the
database pytest-django created (transactional_db, so rows a test writes are visible to the
server and vice versa). `browser_factory(fake_video)` launches Debian Chromium through
Playwright with a fresh profile, optionally feeding a .y4m file as the camera.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_ARGS, FAKE_CAMERA_ARGS

ROOT = Path(__file__).resolve().parents[2]

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveAsgiServer:
    """uvicorn in a subprocess; restartable so tests can kill it mid-session."""

    def __init__(self, *, db_name: str, log_path: Path, settings_module: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_name = db_name
        self.log_path = log_path
        self.settings_module = settings_module
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 30) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "STRESSLAB_LIVE_TEST_DB": self.db_name,
            "PYTHONPATH": str(ROOT),
        }
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"uvicorn exited early; see {self.log_path}") from None
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"uvicorn did not accept connections in {timeout_s} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def live_asgi_server(
    transactional_db, artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveAsgiServer]:
    from django.db import connection

    # Playwright's sync API runs an event loop in this thread; the test's own ORM
    # calls between page actions are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    server = LiveAsgiServer(
        db_name=str(connection.settings_dict["NAME"]),
        log_path=artifacts_dir / "uvicorn.log",
        settings_module=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.test"),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_asgi_url(live_asgi_server: LiveAsgiServer) -> str:
    return live_asgi_server.url


@pytest.fixture
def browser_factory(chromium_path: str) -> Iterator[Callable[..., object]]:
    """Call with fake_video=Path('clip.y4m') for a camera fed by that clip, or None."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    launched = []

    def launch(fake_video: Path | None = None, extra_args: list[str] | None = None):
        # Playwright gives every launch a fresh temporary profile (it rejects --user-data-dir).
        args = [*CHROMIUM_ARGS, *(extra_args or [])]
        if fake_video is not None:
            args += [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={fake_video}"]
        browser = playwright.chromium.launch(executable_path=chromium_path, args=args)
        launched.append(browser)
        return browser

    yield launch
    for browser in launched:
        browser.close()
    playwright.stop()
