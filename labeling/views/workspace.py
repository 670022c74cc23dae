"""Labeling workspace: session list, player (meta + binary frames), segment API."""
from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from collector.access import ALL_ROLES, study_for_user, study_role
from collector.models import Session, Study, StudyRole
from labeling.models import Segment
from labeling.selectors.player import frames_stream, player_meta, segment_json
from labeling.selectors.workspace import LIST_FILTERS, session_for_user, workspace_rows
from labeling.services.segments import segment_create, segment_delete, segment_update

# The most frames one landmarks.bin request returns (about 3.5 MB of landmarks).
MAX_FRAMES_PER_REQUEST = 600


def _study_session(request: HttpRequest, slug: str, uuid) -> tuple[Study, Session]:
    """The study (any member role) and a session of it the user may see, else 404/403."""
    study = study_for_user(user=request.user, slug=slug, roles=ALL_ROLES)
    return study, session_for_user(study=study, user=request.user, uuid=uuid)


def _float_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@login_required
@require_GET
def workspace(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=ALL_ROLES)
    show = request.GET.get("show", "all")
    show = show if show in LIST_FILTERS else "all"
    filters = {
        "show": show,
        "phase": request.GET.get("phase", "").strip(),
        "pss_min": _float_or_none(request.GET.get("pss_min")),
        "pss_max": _float_or_none(request.GET.get("pss_max")),
    }
    rows = workspace_rows(study=study, user=request.user, **filters)
    role = study_role(user=request.user, study=study)
    return render(request, "labeling/workspace.html", {
        "study": study, "rows": rows, "filters": filters, "list_filters": LIST_FILTERS,
        "is_researcher": role == StudyRole.RESEARCHER,
        "labeled": sum(1 for r in rows if r.segments), "with_gold": sum(1 for r in rows if r.gold),
    })


@login_required
@require_GET
def player(request: HttpRequest, slug: str, uuid: str) -> HttpResponse:
    study, session = _study_session(request, slug, uuid)
    return render(request, "labeling/player.html", {
        "study": study, "session": session,
        "meta_url": reverse("labeling:session_meta", args=[study.slug, session.uuid]),
        "frames_url": reverse("labeling:session_landmarks", args=[study.slug, session.uuid]),
        "segments_url": reverse("labeling:segment_create", args=[study.slug, session.uuid]),
        "prelabels_url": reverse("retraining:session_prelabels", args=[session.uuid]),
    })


@login_required
@require_GET
def session_meta(request: HttpRequest, slug: str, uuid: str) -> JsonResponse:
    study, session = _study_session(request, slug, uuid)
    is_researcher = study_role(user=request.user, study=study) == StudyRole.RESEARCHER
    meta = player_meta(session=session, user=request.user, can_see_all=is_researcher)
    meta["user_id"] = request.user.pk
    meta["username"] = request.user.get_username()
    meta["segment_url_template"] = reverse(
        "labeling:segment_detail", args=[study.slug, "00000000-0000-0000-0000-000000000000"])
    return JsonResponse(meta)


@login_required
@require_GET
def session_landmarks(request: HttpRequest, slug: str, uuid: str) -> HttpResponse:
    study, session = _study_session(request, slug, uuid)
    try:
        from_seq = int(request.GET.get("from_seq", 0))
        count = int(request.GET.get("count", MAX_FRAMES_PER_REQUEST))
    except ValueError:
        return HttpResponseBadRequest("from_seq and count must be whole numbers.")
    if from_seq < 0 or count < 1:
        return HttpResponseBadRequest("from_seq must be >= 0 and count >= 1.")
    n, body = frames_stream(session=session, from_seq=from_seq,
                            count=min(count, MAX_FRAMES_PER_REQUEST))
    response = StreamingHttpResponse(body, content_type="application/octet-stream")
    response["X-Frame-Count"] = str(n)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _json_body(request: HttpRequest) -> dict:
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError({"body": "Send a JSON object."}) from exc
    if not isinstance(data, dict):
        raise ValidationError({"body": "Send a JSON object."})
    return data


def _errors(exc: ValidationError) -> JsonResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return JsonResponse({"errors": errors}, status=400)


@login_required
@require_POST
def segment_create_view(request: HttpRequest, slug: str, uuid: str) -> JsonResponse:
    study, session = _study_session(request, slug, uuid)
    try:
        data = _json_body(request)
        fields = {k: data.get(k) for k in ("kind", "label", "start_ms", "end_ms")}
        seg = segment_create(session=session, annotator=request.user, **fields,
                             confidence=data.get("confidence"), note=data.get("note") or "")
    except ValidationError as exc:
        return _errors(exc)
    return JsonResponse(segment_json(seg), status=201)


@login_required
@require_http_methods(["PATCH", "DELETE"])
def segment_detail(request: HttpRequest, slug: str, uid: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=ALL_ROLES)
    seg = get_object_or_404(Segment.objects.select_related("session", "annotator"), uid=uid,
                            session__participant__study=study)
    session_for_user(study=study, user=request.user, uuid=str(seg.session.uuid))
    if seg.annotator_id != request.user.pk:
        raise PermissionDenied("Only the annotator who made a segment can change it.")
    if request.method == "DELETE":
        segment_delete(segment=seg, actor=request.user)
        return HttpResponse(status=204)
    try:
        seg = segment_update(segment=seg, actor=request.user, **_json_body(request))
    except ValidationError as exc:
        return _errors(exc)
    return JsonResponse(segment_json(seg))
