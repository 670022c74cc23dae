"""An export through a real Celery worker process consuming the "default" queue (Redis
broker when REDIS_URL is set, the embedded filesystem broker otherwise)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from collector.selectors.frames import session_frames
from config.celery import app
from labeling.models import ExportStatus
from labeling.services.exports import export_request
from ml.dataset import load_npz
from tests.factories import ParticipantFactory, StudyFactory, UserFactory
from tests.labeling.support import session_with_frames
from tests.retraining.worker import ROOT, wait_for, worker_stop

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@contextmanager
def default_queue_worker(log_path: Path):
    """`celery worker -Q default` on the test database (settings of the retraining
    worker harness, which point the worker at the database pytest created)."""
    with app.connection_for_write() as conn:
        try:
            conn.default_channel.queue_purge("default")
        except Exception:  # the queue was never declared
            pass
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.retraining.worker_settings",
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
    }
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default",
           "--pool=solo", "-n", f"export-{uuid.uuid4().hex[:8]}@%h", "--without-gossip",
           "--without-mingle", "--without-heartbeat", "-l", "INFO"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            worker_stop(proc)


def test_export_request_is_built_by_a_real_worker_on_the_default_queue(
    artifacts_dir, settings, tmp_path
):
    # The worker writes where the test settings put exports; tests read the same place.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    study = StudyFactory()
    session = session_with_frames(n=70, participant=ParticipantFactory(study=study), seed=3)
    with default_queue_worker(artifacts_dir / "export-worker.log"):
        job = export_request(study=study, user=UserFactory(), format="npz", filters={})

        def finished():
            job.refresh_from_db()
            return job.status in (ExportStatus.SUCCEEDED, ExportStatus.FAILED)

        wait_for(finished, timeout=90, what="the worker to build the export")
    assert job.status == ExportStatus.SUCCEEDED, job.error
    assert job.progress == 1.0 and job.is_downloadable
    out = tmp_path / "unpacked"
    with zipfile.ZipFile(job.file_path) as archive:
        archive.extractall(out)
    ds = load_npz(out / "dataset.npz")
    assert np.array_equal(ds.X, session_frames(session=session).features)
    Path(job.file_path).unlink()
