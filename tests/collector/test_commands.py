"""demo_study is idempotent and keeps the researcher password under var/; runstack runs
web + worker + beat as one group and stops them all."""
from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from collector.models import ConsentVersion, Study, StudyMembership

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_study_is_created_once_with_a_stored_password(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo_study")
    first = capsys.readouterr().out
    call_command("demo_study")
    second = capsys.readouterr().out
    study = Study.objects.get(slug="demo")
    assert Study.objects.count() == 1 and ConsentVersion.objects.filter(study=study).count() == 1
    assert study.latest_consent() is not None
    assert study.questionnaires == {"pre": ["pss10", "stai6"],
                                    "post": ["stai6", "sam", "vas", "nasa_tlx"]}
    assert [field["name"] for field in study.demographics] == ["age", "gender"]
    assert "phases" in study.protocol
    password_file = tmp_path / "researcher_password"
    password = password_file.read_text().strip()
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    assert authenticate(username="researcher", password=password) is not None
    assert StudyMembership.objects.filter(study=study, user__username="researcher").exists()
    for out in (first, second):
        assert "/s/demo/" in out and password in out
    assert "created" in first and "already present" in second


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_runstack_serves_and_stops_every_child(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", STRESSLAB_VAR_DIR=str(tmp_path))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "demo_study"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port = free_port()
    log = (tmp_path / "runstack.log").open("wb")
    stack = subprocess.Popen([sys.executable, "manage.py", "runstack", "--port", str(port)],
                             cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        body = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/s/demo/", timeout=2) as r:
                    body = r.read()
            except OSError:
                time.sleep(0.5)
        assert b"Information and consent" in body
        children = subprocess.run(["pgrep", "-P", str(stack.pid)], capture_output=True,
                                  text=True).stdout.split()
        assert len(children) == 3
        stack.send_signal(signal.SIGTERM)
        assert stack.wait(30) == 0
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "Z" in Path(
                f"/proc/{pid}/stat").read_text().split()[2]
    finally:
        if stack.poll() is None:
            stack.kill()
        log.close()
    assert "stresslab stopped." in (tmp_path / "runstack.log").read_text()


@pytest.mark.slow
def test_runstack_stops_the_others_when_one_child_dies(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", STRESSLAB_VAR_DIR=str(tmp_path))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        result = subprocess.run(
            [sys.executable, "manage.py", "runstack", "--port", str(port)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=90,
        )
    finally:
        busy.close()
    assert result.returncode == 1
    assert "web exited with status" in result.stderr and "stopping the others" in result.stderr
