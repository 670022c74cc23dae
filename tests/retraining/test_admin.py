"""Admin entry points: starting runs, dataset uploads validated on the way in."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ml.dataset import LandmarkDataset, save_npz
from retraining.models import DatasetUpload, TrainingRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_start_button_queues_one_run_per_kind(
    admin_client, django_capture_on_commit_callbacks
):
    url = reverse("admin:retraining_trainingrun_start", args=["emotion"])
    with django_capture_on_commit_callbacks() as callbacks:
        assert admin_client.post(url).status_code == 302
        assert admin_client.post(url).status_code == 302
    assert TrainingRun.objects.filter(kind="emotion", trigger="admin").count() == 1
    assert len(callbacks) == 1
    page = admin_client.get(reverse("admin:retraining_trainingrun_changelist"))
    assert b'id="start-emotion"' in page.content and b'id="start-stress"' in page.content
    assert admin_client.get(url).status_code == 405, "starting needs a POST"


def test_staff_without_permission_cannot_start_a_run(client):
    client.force_login(UserFactory(is_staff=True))
    response = client.post(reverse("admin:retraining_trainingrun_start", args=["stress"]))
    assert response.status_code == 403
    assert not TrainingRun.objects.exists()


def _npz_bytes(ds: LandmarkDataset, tmp_path) -> bytes:
    path = tmp_path / "synthetic.npz"
    save_npz(ds, path)
    return path.read_bytes()


def test_dataset_upload_is_validated_and_summarised(admin_client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    n = 12
    ds = LandmarkDataset(
        X=np.zeros((n, 1536), np.float32),
        y=np.where(np.arange(n) < 10, np.arange(n) % 7, -1),
        groups=np.array(["synthetic-a"] * n),
        t=np.zeros(n),
        source=np.array(["synthetic"] * n),
        extras={},
    )
    add = reverse("admin:retraining_datasetupload_add")
    good = SimpleUploadedFile("synthetic.npz", _npz_bytes(ds, tmp_path))
    response = admin_client.post(add, {"name": "synthetic", "file": good, "active": "on"})
    assert response.status_code == 302, response.content[:2000]
    upload = DatasetUpload.objects.get()
    assert upload.n_rows == 12 and upload.n_labeled == 10 and len(upload.sha256) == 64

    bad = SimpleUploadedFile("broken.npz", io.BytesIO(b"not an npz").getvalue())
    response = admin_client.post(add, {"name": "broken", "file": bad, "active": "on"})
    assert response.status_code == 200
    assert b"Could not read the NPZ file" in response.content or b"Not a valid" in response.content
    assert DatasetUpload.objects.count() == 1
