"""Export pages (researchers only): request, progress, download."""
from __future__ import annotations

from pathlib import Path

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from collector.access import study_for_user
from collector.models import StudyRole
from labeling.export.frames import LABEL_STATUS_CHOICES, export_phases, export_sessions
from labeling.models import ExportFormat, ExportJob
from labeling.services.exports import export_download_record, export_request

RESEARCHER = [StudyRole.RESEARCHER]


def _job_json(job: ExportJob) -> dict:
    return {
        "uid": str(job.uid),
        "format": job.format,
        "status": job.status,
        "progress": job.progress,
        "error": job.error.strip().splitlines()[-1] if job.error else "",
        "downloadable": job.is_downloadable,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
        "counts": (job.manifest or {}).get("counts"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def export_page(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=RESEARCHER)
    errors: dict = {}
    values = {"format": "parquet", "phase": "", "label_status": "any", "sessions": []}
    if request.method == "POST":
        values = {
            "format": request.POST.get("format", ""),
            "phase": request.POST.get("phase", ""),
            "label_status": request.POST.get("label_status", "any"),
            "sessions": request.POST.getlist("sessions"),
        }
        try:
            export_request(study=study, user=request.user, format=values["format"],
                           filters={k: values[k] for k in ("phase", "label_status", "sessions")})
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            return redirect("labeling:exports", slug=study.slug)
    return render(request, "labeling/exports/page.html", {
        "study": study,
        "jobs": ExportJob.objects.filter(study=study)[:50],
        "formats": ExportFormat.choices,
        "label_statuses": LABEL_STATUS_CHOICES,
        "phases": export_phases(study=study),
        "sessions": export_sessions(study=study, filters={}),
        "values": values,
        "errors": errors,
    }, status=400 if errors else 200)


@login_required
@require_GET
def export_status(request: HttpRequest, slug: str) -> JsonResponse:
    study = study_for_user(user=request.user, slug=slug, roles=RESEARCHER)
    jobs = ExportJob.objects.filter(study=study)[:50]
    return JsonResponse({"jobs": [_job_json(j) for j in jobs]})


@login_required
@require_GET
def export_download(request: HttpRequest, slug: str, uid: str) -> FileResponse:
    study = study_for_user(user=request.user, slug=slug, roles=RESEARCHER)
    job = get_object_or_404(ExportJob, study=study, uid=uid)
    path = Path(job.file_path) if job.file_path else None
    if not job.is_downloadable or path is None or not path.exists():
        raise Http404("This export is not available (not finished, or expired and deleted).")
    export_download_record(job=job, user=request.user)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
