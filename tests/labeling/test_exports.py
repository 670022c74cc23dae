"""Exports: round trips per format, dictionary coverage, manifest, de-identification,
filters, expiry and audit."""
import csv
import io
import json
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from collector.models import AuditAction, AuditEvent, Participant, SessionEvent
from collector.selectors.frames import session_frames
from collector.services.withdrawal import participant_withdraw
from labeling.export.columns import columns_for, data_dictionary_markdown, feature_column_names
from labeling.models import ExportJob, ExportStatus
from labeling.services.consensus import gold_adjudicate
from labeling.services.exports import (
    code_version,
    export_build,
    export_request,
    exports_expire,
    sha256_file,
)
from ml.dataset import load_dataset, load_npz
from ml.features import EMOTIONS
from tests.factories import ConsentRecordFactory, ParticipantFactory, StudyFactory, UserFactory
from tests.labeling.support import session_with_frames

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = tmp_path / "exports"
    settings.EXPORT_BATCH_ROWS = 64  # several batches even for small sessions
    # The task runs in-process when the job commits; tests then call export_build again,
    # which must leave a finished job alone.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return settings.EXPORT_DIR


def phase_events(session, spans):
    for name, (start, end) in spans.items():
        for event, t in (("phase_start", start), ("phase_end", end)):
            SessionEvent.objects.create(session=session, eid=uuid.uuid4(), name=event, t_ms=t,
                                        data={"phase": name})


@pytest.fixture
def study_data():
    """Two participants with frames, phases and gold labels; a third who withdraws."""
    study = StudyFactory()
    sessions = []
    for seed in range(3):
        participant = ParticipantFactory(study=study)
        ConsentRecordFactory(participant=participant)
        session = session_with_frames(n=150, seed=seed, batch=16, participant=participant)
        phase_events(session, {"baseline": (0, 5000), "stroop": (5000, 15000)})
        gold_adjudicate(session=session, kind="emotion", label="sad", start_ms=1000,
                        end_ms=3000, actor=None)
        gold_adjudicate(session=session, kind="stress", label="high", start_ms=6000,
                        end_ms=9000, actor=None)
        sessions.append(session)
    gone_code = sessions[2].participant.code
    participant_withdraw(code=gone_code)
    researcher = UserFactory()
    return study, sessions[:2], gone_code, researcher


def build(study, user, fmt, **filters):
    job = export_request(study=study, user=user, format=fmt, filters=filters)
    export_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.SUCCEEDED, job.error
    return job


def unpack(job, tmp_path) -> Path:
    out = tmp_path / f"unpacked-{job.format}"
    with zipfile.ZipFile(job.file_path) as archive:
        archive.extractall(out)
    return out


def expected(sessions):
    X = np.concatenate([session_frames(session=s).features for s in sessions])
    t = np.concatenate([session_frames(session=s).t_ms for s in sessions])
    y = np.where((t >= 1000) & (t < 3000), EMOTIONS.index("sad"), -1)
    stress = np.where((t >= 6000) & (t < 9000), 1.0, np.nan).astype(np.float32)
    return X, t, y, stress


def test_parquet_round_trip_equals_stored_frames(study_data, tmp_path):
    study, sessions, gone, user = study_data
    job = build(study, user, "parquet")
    folder = unpack(job, tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [
        "data_dictionary.csv", "frames.parquet", "manifest.json"]
    table = pq.read_table(folder / "frames.parquet")
    # Row groups of EXPORT_BATCH_ROWS frames or more, not one per stored 16-frame chunk.
    meta = pq.ParquetFile(folder / "frames.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sum(sizes) == 300 and all(n >= 64 for n in sizes[:-1]) and len(sizes) == 5
    X, t, y, stress = expected(sessions)
    got = np.asarray(table.column("X").combine_chunks().flatten(), np.float32).reshape(-1, 1536)
    assert np.array_equal(got, X)
    assert np.array_equal(table.column("t").to_numpy(), t)
    assert np.array_equal(table.column("y").to_numpy(), y)
    assert np.array_equal(table.column("stress").to_numpy(), stress, equal_nan=True)
    assert set(table.column("groups").to_pylist()) == {s.participant.code for s in sessions}
    assert gone not in table.column("groups").to_pylist()
    phases = table.column("phase").to_numpy(zero_copy_only=False)
    assert set(phases[t < 5000]) == {"baseline"} and set(phases[t >= 5000]) == {"stroop"}
    # ml can train on the export as it is.
    ds = load_dataset(folder / "frames.parquet")
    assert ds.X.shape == X.shape and (ds.y >= 0).sum() == (y >= 0).sum()
    dictionary = list(csv.DictReader(io.StringIO((folder / "data_dictionary.csv").read_text())))
    assert [r["name"] for r in dictionary] == table.column_names
    assert all(r["type"] and r["description"] and r["identifiable"] in ("yes", "no")
               for r in dictionary)


def test_csv_round_trip_and_dictionary_cover_every_column(study_data, tmp_path):
    study, sessions, gone, user = study_data
    job = build(study, user, "csv")
    folder = unpack(job, tmp_path)
    table = pa_csv.read_csv(folder / "frames.csv")
    X, t, y, stress = expected(sessions)
    got = np.stack([table.column(n).to_numpy() for n in feature_column_names()], axis=1)
    assert np.array_equal(got.astype(np.float32), X)
    assert np.array_equal(table.column("t").to_numpy(), t)
    assert np.array_equal(table.column("y").to_numpy(), y)
    assert table.column("emotion").to_pylist().count("sad") == int((y >= 0).sum())
    dictionary = [r["name"] for r in csv.DictReader(
        io.StringIO((folder / "data_dictionary.csv").read_text()))]
    assert dictionary == table.column_names
    assert len(dictionary) == 12 + 1536
    assert gone not in table.column("groups").to_pylist()


def test_npz_is_the_ml_dataset_format(study_data, tmp_path):
    study, sessions, gone, user = study_data
    job = build(study, user, "npz")
    folder = unpack(job, tmp_path)
    ds = load_npz(folder / "dataset.npz")
    X, t, y, stress = expected(sessions)
    assert np.array_equal(ds.X, X) and np.array_equal(ds.t, t) and np.array_equal(ds.y, y)
    assert np.array_equal(ds.extras["stress"], stress, equal_nan=True)
    assert set(ds.groups) == {s.participant.code for s in sessions}
    with np.load(folder / "dataset.npz") as data:
        keys = set(data.files)
    with zipfile.ZipFile(folder / "dataset.npz") as npz:  # landmarks stored, labels deflated
        assert npz.getinfo("X.npy").compress_type == zipfile.ZIP_STORED
        assert npz.getinfo("y.npy").compress_type == zipfile.ZIP_DEFLATED
    dictionary = {r["name"] for r in csv.DictReader(
        io.StringIO((folder / "data_dictionary.csv").read_text()))}
    assert keys == dictionary == {c.name for c in columns_for("npz")}


def test_manifest_hashes_counts_and_consent_versions(study_data, tmp_path):
    study, sessions, gone, user = study_data
    job = build(study, user, "parquet", phase="stroop")
    folder = unpack(job, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest == job.manifest
    for name, info in manifest["files"].items():
        assert sha256_file(folder / name) == info["sha256"]
    assert manifest["study"] == study.slug
    assert manifest["filters"] == {"phase": "stroop", "label_status": "any"}
    assert manifest["counts"]["sessions"] == 2 and manifest["counts"]["participants"] == 2
    assert manifest["counts"]["frames"] == 2 * 100  # frames at 5000..14900 ms
    assert manifest["consent_versions"] == [study.latest_consent().version]
    assert manifest["code_version"]


def test_label_status_filters(study_data, tmp_path):
    study, sessions, gone, user = study_data
    gold = build(study, user, "npz", label_status="gold")
    ds = load_npz(unpack(gold, tmp_path) / "dataset.npz")
    assert len(ds) == 2 * (20 + 30)  # 1000-3000 ms emotion, 6000-9000 ms stress
    unlabeled = build(study, user, "parquet", label_status="unlabeled")
    assert unlabeled.manifest["counts"]["frames"] == 2 * 150 - 2 * 50
    one = build(study, user, "parquet", sessions=[str(sessions[0].uuid)])
    assert one.manifest["counts"]["sessions"] == 1


def test_bad_filters_are_rejected_and_create_no_job(study_data):
    study, sessions, gone, user = study_data
    for fmt, filters in (("xlsx", {}), ("csv", {"label_status": "maybe"}),
                         ("csv", {"sessions": [str(uuid.uuid4())]}),
                         ("csv", {"phase": "lunch"})):
        with pytest.raises(ValidationError):
            export_request(study=study, user=user, format=fmt, filters=filters)
    assert ExportJob.objects.count() == 0


def test_export_is_idempotent_expires_and_is_audited(study_data, tmp_path):
    study, sessions, gone, user = study_data
    job = build(study, user, "parquet")
    path = Path(job.file_path)
    mtime = path.stat().st_mtime_ns
    export_build(job_id=job.pk)  # a redelivered task does not redo a finished export
    assert path.stat().st_mtime_ns == mtime
    assert exports_expire() == 0 and path.exists()
    assert exports_expire(now=timezone.now() + timedelta(hours=25)) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED and not job.is_downloadable
    assert not path.exists()
    ops = list(AuditEvent.objects.filter(action=AuditAction.EXPORT).values_list(
        "details", flat=True))
    assert {d["op"] for d in ops} == {"request", "built"}
    assert all(gone not in json.dumps(d) for d in ops)
    assert all(s.participant.code not in json.dumps(d) for d in ops for s in sessions)


def test_task_for_a_deleted_job_is_a_no_op():
    from labeling.tasks import export_run

    assert export_run.apply(args=[987654]).get() == "missing"


def test_expiry_runs_on_the_beat_schedule(settings):
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["exports-expire"]
    assert entry["task"] == "labeling.tasks.exports_expire" and entry["schedule"] > 0
    app.loader.import_default_modules()
    assert {"labeling.tasks.exports_expire", "labeling.tasks.export_run"} <= set(app.tasks)


def test_participant_marked_withdrawn_is_left_out_even_while_frames_remain(study_data,
                                                                           tmp_path):
    """Withdrawal deletes the frames; the export's own filter covers the moment between
    (or any frames a later change might keep)."""
    study, sessions, gone, user = study_data
    leaving = sessions[1]
    Participant.objects.filter(pk=leaving.participant_id).update(withdrawn_at=timezone.now())
    with pytest.raises(ValidationError):
        export_request(study=study, user=user, format="csv",
                       filters={"sessions": [str(leaving.uuid)]})
    job = build(study, user, "npz")
    ds = load_npz(unpack(job, tmp_path) / "dataset.npz")
    X, t, y, stress = expected(sessions[:1])
    assert np.array_equal(ds.X, X) and set(ds.groups) == {sessions[0].participant.code}
    assert job.manifest["counts"]["participants"] == 1


def test_export_task_is_routed_to_the_default_queue():
    from config.celery import app

    for name in ("labeling.tasks.export_run", "labeling.tasks.exports_expire"):
        assert app.amqp.router.route({}, name)["queue"].name == "default"


def test_manifest_code_version_names_the_checkout_or_the_package():
    version = code_version()
    assert version and version != "unknown"


def test_data_dictionary_doc_is_generated_from_the_columns_the_writers_use():
    doc = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"
    assert doc.read_text() == data_dictionary_markdown(), (
        "regenerate: python -m labeling.export.columns > docs/data-dictionary.md")
