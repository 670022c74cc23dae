"""Reads for the labeling workspace: which sessions a user may see, with progress."""
from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from collector.access import study_role
from collector.models import QuestionnaireResponse, Session, SessionEvent, Study, StudyRole
from labeling.models import Assignment

LIST_FILTERS = ("all", "unlabeled", "mine")


def visible_sessions(*, study: Study, user: AbstractBaseUser) -> QuerySet[Session]:
    """Researchers see every session of the study; annotators only those assigned to them.
    Withdrawn participants' sessions never appear (their data is deleted anyway)."""
    qs = Session.objects.filter(
        participant__study=study, participant__withdrawn_at__isnull=True
    ).select_related("participant")
    if study_role(user=user, study=study) != StudyRole.RESEARCHER:
        qs = qs.filter(assignments__annotator=user)
    return qs


def session_for_user(*, study: Study, user: AbstractBaseUser, uuid: str) -> Session:
    session = visible_sessions(study=study, user=user).filter(uuid=uuid).first()
    if session is None:
        raise Http404("No such session, or it is not assigned to you.")
    return session


@dataclass(frozen=True)
class SessionRow:
    session: Session
    phases: list[str]
    pss10: float | None
    assigned: int
    annotators_done: int
    segments: int
    my_segments: int
    gold: int
    assigned_to_me: bool


def workspace_rows(
    *,
    study: Study,
    user: AbstractBaseUser,
    show: str = "all",
    phase: str = "",
    pss_min: float | None = None,
    pss_max: float | None = None,
) -> list[SessionRow]:
    qs = visible_sessions(study=study, user=user).annotate(
        n_assigned=Count("assignments", distinct=True),
        n_segments=Count("segments", distinct=True),
        n_annotators=Count("segments__annotator", distinct=True),
        n_mine=Count("segments", filter=Q(segments__annotator=user), distinct=True),
        n_gold=Count("gold_labels", distinct=True),
    ).order_by("-created_at")
    if show == "unlabeled":
        qs = qs.filter(n_segments=0)
    elif show == "mine":
        qs = qs.filter(assignments__annotator=user)
    sessions = list(qs)
    ids = [s.pk for s in sessions]
    phases: dict[int, list[str]] = {}
    for sid, data in SessionEvent.objects.filter(
        session_id__in=ids, name="phase_start"
    ).order_by("t_ms").values_list("session_id", "data"):
        name = str((data or {}).get("phase", ""))
        if name and name not in phases.setdefault(sid, []):
            phases[sid].append(name)
    pss: dict[int, float] = {}
    for pid, scores in QuestionnaireResponse.objects.filter(
        participant_id__in={s.participant_id for s in sessions}, instrument="pss10"
    ).order_by("submitted_at").values_list("participant_id", "scores"):
        if isinstance(scores, dict) and "total" in scores:
            pss[pid] = float(scores["total"])
    mine = set(
        Assignment.objects.filter(annotator=user, session_id__in=ids).values_list(
            "session_id", flat=True
        )
    )
    rows = []
    for s in sessions:
        score = pss.get(s.participant_id)
        if phase and phase not in phases.get(s.pk, []):
            continue
        if pss_min is not None and (score is None or score < pss_min):
            continue
        if pss_max is not None and (score is None or score > pss_max):
            continue
        rows.append(SessionRow(
            session=s, phases=phases.get(s.pk, []), pss10=score, assigned=s.n_assigned,
            annotators_done=s.n_annotators, segments=s.n_segments, my_segments=s.n_mine,
            gold=s.n_gold, assigned_to_me=s.pk in mine,
        ))
    return rows
