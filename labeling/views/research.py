"""Researcher-only labeling pages: assignments, agreement, consensus and adjudication."""
from __future__ import annotations

import numpy as np
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from collector.access import study_for_user
from collector.models import StudyMembership, StudyRole
from labeling.discretize import label_track, majority, run_span_ms, runs
from labeling.models import GoldLabel, GoldSource, LabelKind, Segment
from labeling.selectors.agreement import session_matrix, study_agreement
from labeling.selectors.workspace import session_for_user, visible_sessions
from labeling.services.assignments import sessions_assign
from labeling.services.consensus import consensus_rebuild, gold_adjudicate
from labeling.services.segments import label_schema_for

RESEARCHER = [StudyRole.RESEARCHER]


@login_required
@require_http_methods(["GET", "POST"])
def assignments(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=RESEARCHER)
    members = get_user_model().objects.filter(
        pk__in=StudyMembership.objects.filter(study=study).values("user_id")
    ).order_by("username")
    sessions = visible_sessions(study=study, user=request.user).order_by("created_at")
    plan, errors = None, {}
    if request.method == "POST":
        chosen = members.filter(pk__in=request.POST.getlist("annotators"))
        picked = sessions
        if request.POST.get("scope") == "unassigned":
            picked = sessions.filter(assignments__isnull=True)
        try:
            overlap = float(request.POST.get("overlap", "0"))
            plan = sessions_assign(sessions=list(picked), annotators=list(chosen),
                                   overlap=overlap, per_overlap=int(request.POST.get(
                                       "per_overlap", 2)), assigned_by=request.user)
        except ValueError:
            errors = {"overlap": ["Overlap must be a number between 0 and 1."]}
        except ValidationError as exc:
            errors = exc.message_dict
    rows = [
        (s, list(s.assignments.select_related("annotator").values_list(
            "annotator__username", flat=True)))
        for s in sessions.select_related("participant")
    ]
    return render(request, "labeling/assignments.html", {
        "study": study, "members": members, "rows": rows, "plan": plan, "errors": errors,
    }, status=400 if errors else 200)


@login_required
def agreement(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=RESEARCHER)
    results = [study_agreement(study=study, kind=kind) for kind in LabelKind.values]
    return render(request, "labeling/agreement.html", {"study": study, "results": results})


@login_required
@require_http_methods(["GET", "POST"])
def consensus(request: HttpRequest, slug: str) -> HttpResponse:
    study = study_for_user(user=request.user, slug=slug, roles=RESEARCHER)
    if request.method == "POST":
        session = session_for_user(study=study, user=request.user,
                                   uuid=request.POST.get("session", ""))
        kind = request.POST.get("kind", "")
        try:
            if kind not in LabelKind.values:
                raise ValidationError({"kind": "Choose emotion or stress."})
            if request.POST.get("action") == "adjudicate":
                gold_adjudicate(session=session, kind=kind, label=request.POST.get("label", ""),
                                start_ms=float(request.POST.get("start_ms", "nan")),
                                end_ms=float(request.POST.get("end_ms", "nan")),
                                actor=request.user)
                messages.success(request, "Adjudication saved.")
            else:
                result = consensus_rebuild(session=session, kind=kind, actor=request.user)
                messages.success(request, f"{result.gold_segments} gold segments from "
                                 f"{result.annotators} annotators; "
                                 f"{len(result.disputed_spans)} disputed spans.")
        except (ValidationError, ValueError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            messages.error(request, f"Nothing saved: {text}")
        return redirect("labeling:consensus", slug=study.slug)

    schema = label_schema_for(study=study)
    labeled = visible_sessions(study=study, user=request.user).filter(
        pk__in=Segment.objects.values("session_id")).order_by("created_at")
    items = []
    for session in labeled:
        for kind in LabelKind.values:
            labels = schema.labels_for(kind)
            m = session_matrix(session=session, kind=kind, labels=labels)
            if not m.annotator_ids:
                continue
            items.append({
                "session": session, "kind": kind, "labels": labels,
                "annotators": len(m.annotator_ids),
                "gold": GoldLabel.objects.filter(session=session, kind=kind).order_by(
                    "start_ms"),
                "disputes": _disputes(session, kind, m, labels),
            })
    return render(request, "labeling/consensus.html", {"study": study, "items": items})


def _disputes(session, kind: str, m, labels: list[str]) -> list[dict]:
    """Spans with labels but no majority and no adjudication yet, with what each
    annotator said there (at the span's first frame)."""
    names = dict(get_user_model().objects.filter(pk__in=m.annotator_ids).values_list(
        "pk", "username"))
    _, _, disputed = majority(m.matrix, len(m.annotator_ids))
    adjudicated = GoldLabel.objects.filter(
        session=session, kind=kind, source=GoldSource.ADJUDICATED
    ).values_list("start_ms", "end_ms")
    disputed &= np.isnan(label_track(m.t_ms, [(a, b, 0) for a, b in adjudicated]))
    out = []
    for first, last, _ in runs(np.where(disputed, 1.0, np.nan)):
        start, end = run_span_ms(m.t_ms, first, last)
        said = {}
        for row, annotator in enumerate(m.annotator_ids):
            code = m.matrix[row, first]
            said[names.get(annotator, str(annotator))] = (
                "" if np.isnan(code) else labels[int(code)]
            )
        out.append({"start_ms": start, "end_ms": end, "said": said})
    return out
