"""One process group for the embedded default: uvicorn, a Celery worker and Celery beat.

Ctrl-C or SIGTERM stops every child; when one child dies the others are stopped too.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

STOP_GRACE_S = 10


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together (Ctrl-C stops all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--queues", default="default,training,inference",
                            help="Comma-separated Celery queues for the worker.")

    def handle(self, *args, host: str, port: int, queues: str, **options) -> None:
        var = settings.VAR_DIR
        for folder in ("celery/broker", "celery/processed", "celery/control",
                       "celery/results"):
            (var / folder).mkdir(parents=True, exist_ok=True)
        env = {**os.environ,
               "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                        "config.settings.local")}
        python = sys.executable
        commands = {
            "web": [python, "-m", "uvicorn", "config.asgi:application", "--host", host,
                    "--port", str(port), "--log-level", "info"],
            "worker": [python, "-m", "celery", "-A", "config.celery", "worker",
                       "--loglevel", "INFO", "--concurrency", "1", "-Q", queues,
                       "--hostname", f"stresslab@{os.uname().nodename}"],
            "beat": [python, "-m", "celery", "-A", "config.celery", "beat", "--loglevel",
                     "INFO", "--schedule", str(var / "celerybeat-schedule"),
                     "--pidfile", ""],
        }
        children: dict[str, subprocess.Popen] = {}
        stopping = False

        def request_stop(signum, frame) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        for name, command in commands.items():
            # Own process groups: a terminal Ctrl-C reaches us once, and we stop children in order.
            children[name] = subprocess.Popen(command, env=env, start_new_session=True)
        self.stdout.write(self.style.SUCCESS(
            f"stresslab running at http://{host}:{port}/ (web, worker, beat). Ctrl-C stops all."
        ))
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(self.style.ERROR(
                            f"{name} exited with status {child.returncode}; stopping the others."
                        ))
                        exit_code = 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self._stop_all(children)
        if exit_code:
            sys.exit(exit_code)
        self.stdout.write("stresslab stopped.")

    def _stop_all(self, children: dict[str, subprocess.Popen]) -> None:
        # SIGTERM to each main process only: Celery then shuts its pool down warmly.
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for name, child in children.items():
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in {STOP_GRACE_S} s; killing it.")
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
