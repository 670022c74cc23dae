"""Exports: a researcher asks, a Celery task builds a zip bundle (data file,
data_dictionary.csv, manifest.json), the download expires and the file is deleted."""
from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
import tomllib
import traceback
import zipfile
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from collector.models import AuditAction, ConsentRecord, Study
from collector.services.audit import audit_record
from labeling.export.columns import columns_for, data_dictionary_csv
from labeling.export.frames import (
    LABEL_STATUSES,
    batches_grouped,
    export_phases,
    export_sessions,
    session_batches,
)
from labeling.export.prefetch import prefetched
from labeling.export.writers import WRITERS, HashingSink
from labeling.models import ExportFormat, ExportJob, ExportStatus


def export_filters_clean(*, study: Study, filters: dict) -> dict:
    """Normalised filters, or ValidationError naming the bad field."""
    clean: dict = {}
    sessions = [str(s).strip() for s in (filters.get("sessions") or []) if str(s).strip()]
    if sessions:
        known = {
            str(u)
            for u in export_sessions(study=study, filters={}).values_list("uuid", flat=True)
        }
        unknown = sorted(set(sessions) - known)
        if unknown:
            raise ValidationError({"sessions": f"Not sessions of this study: {', '.join(unknown)}"})
        clean["sessions"] = sorted(set(sessions))
    phase = str(filters.get("phase") or "").strip()
    if phase:
        known_phases = export_phases(study=study)
        if phase not in known_phases:
            raise ValidationError({"phase": f"No session of this study has a phase {phase!r}; "
                                   f"known: {', '.join(known_phases) or 'none'}."})
        clean["phase"] = phase
    status = str(filters.get("label_status") or "any")
    if status not in LABEL_STATUSES:
        raise ValidationError({"label_status": f"Choose one of {', '.join(LABEL_STATUSES)}."})
    clean["label_status"] = status
    return clean


def export_request(
    *, study: Study, user: AbstractBaseUser, format: str, filters: dict
) -> ExportJob:
    """Create the job and queue its task once the row is committed."""
    if format not in ExportFormat.values:
        raise ValidationError({"format": f"Choose one of {', '.join(ExportFormat.values)}."})
    clean = export_filters_clean(study=study, filters=filters)
    from labeling.tasks import export_run

    with transaction.atomic():
        job = ExportJob.objects.create(
            study=study, requested_by=user, format=format, filters=clean
        )
        audit_record(action=AuditAction.EXPORT, actor=user, study=study, obj=job,
                     details={"op": "request", "job": str(job.uid), "format": format,
                              "filters": clean})
        transaction.on_commit(lambda: export_run.delay(job.pk))
    return job


def code_version() -> str:
    """`git describe` of the checkout; the package version where there is no git."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=settings.BASE_DIR,
            capture_output=True, text=True, timeout=5, check=True,
        )
        if out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as fh:
            return f"stresslab {tomllib.load(fh)['project']['version']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _save(job: ExportJob, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=list(fields))


def export_build(*, job_id: int) -> ExportJob:
    """Build the bundle for a job; a finished job is left as it is (idempotent)."""
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().select_related("study").get(pk=job_id)
        if job.status in (ExportStatus.SUCCEEDED, ExportStatus.EXPIRED):
            return job
        _save(job, status=ExportStatus.RUNNING, started_at=timezone.now(), progress=0.0,
              error="")
    try:
        _export_write(job)
    except Exception:
        _save(job, status=ExportStatus.FAILED, error=traceback.format_exc(limit=5),
              finished_at=timezone.now())
        raise
    return job


def _export_write(job: ExportJob) -> None:
    study = job.study
    sessions = list(export_sessions(study=study, filters=job.filters))
    export_dir = Path(settings.EXPORT_DIR)
    export_dir.mkdir(parents=True, exist_ok=True)
    counts = {"sessions": 0, "participants": 0, "frames": 0, "labeled_frames": 0}
    participants: set[int] = set()
    target = export_dir / f"{study.slug}-{job.format}-{job.uid}.zip"
    partial = target.with_suffix(".zip.part")
    writer_cls = WRITERS[job.format]
    source = f"stresslab:{study.slug}"

    def frames():
        for i, session in enumerate(sessions):
            seen = 0
            for batch in session_batches(session=session, source=source, filters=job.filters):
                seen += len(batch)
                labeled = (batch.columns["y"] >= 0) | ~np.isnan(batch.columns["stress"])
                counts["labeled_frames"] += int(labeled.sum())
                yield batch
            if seen:
                counts["sessions"] += 1
                participants.add(session.participant_id)
            counts["frames"] += seen
            _save(job, progress=round((i + 1) / max(len(sessions), 1) * 0.95, 4))

    files: dict[str, dict] = {}
    # The data is already compressed (Parquet) or dense floats: store entries as they are.
    with tempfile.TemporaryDirectory(dir=export_dir, prefix=f".{job.uid}-") as scratch, \
            zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open(writer_cls.filename, "w", force_zip64=True) as entry:
            sink = HashingSink(entry)
            try:
                writer = writer_cls(sink, Path(scratch))
                groups = prefetched(
                    lambda: batches_grouped(frames(), rows=settings.EXPORT_BATCH_ROWS)
                )
                with closing(groups):  # an error in the writer stops the reader thread
                    for group in groups:
                        writer.write(group)
                writer.close()
            except BaseException:
                sink.abandon()
                raise
            files[writer_cls.filename] = sink.finish()
        counts["participants"] = len(participants)
        dictionary = data_dictionary_csv(job.format).encode()
        archive.writestr("data_dictionary.csv", dictionary)
        files["data_dictionary.csv"] = {"sha256": hashlib.sha256(dictionary).hexdigest(),
                                        "bytes": len(dictionary)}
        consent_versions = sorted(
            set(
                ConsentRecord.objects.filter(participant_id__in=participants).values_list(
                    "consent_version__version", flat=True
                )
            )
        )
        manifest = {
            "study": study.slug,
            "format": job.format,
            "export": str(job.uid),
            "created_at": timezone.now().isoformat(),
            "code_version": code_version(),
            "consent_versions": consent_versions,
            "filters": job.filters,
            "counts": counts,
            "columns": [c.name for c in columns_for(job.format)],
            "files": files,
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    partial.replace(target)
    now = timezone.now()
    _save(job, status=ExportStatus.SUCCEEDED, progress=1.0, finished_at=now,
          file_path=str(target), file_size=target.stat().st_size, manifest=manifest,
          expires_at=now + timedelta(hours=settings.EXPORT_TTL_HOURS))
    audit_record(action=AuditAction.EXPORT, actor=job.requested_by, study=study, obj=job,
                 details={"op": "built", "job": str(job.uid), "format": job.format,
                          "counts": counts})


def export_download_record(*, job: ExportJob, user: AbstractBaseUser) -> None:
    audit_record(action=AuditAction.EXPORT, actor=user, study=job.study, obj=job,
                 details={"op": "download", "job": str(job.uid), "format": job.format,
                          "counts": (job.manifest or {}).get("counts")})


def exports_expire(*, now=None) -> int:
    """Delete the files of expired exports and mark them; returns how many."""
    now = now or timezone.now()
    expired = 0
    for job in ExportJob.objects.filter(status=ExportStatus.SUCCEEDED, expires_at__lte=now):
        if job.file_path:
            Path(job.file_path).unlink(missing_ok=True)
        _save(job, status=ExportStatus.EXPIRED, file_path="")
        expired += 1
    # A worker killed mid-write leaves a .part file that never becomes downloadable.
    for leftover in Path(settings.EXPORT_DIR).glob("*.zip.part"):
        if leftover.stat().st_mtime < (now - timedelta(hours=1)).timestamp():
            leftover.unlink(missing_ok=True)
    return expired
