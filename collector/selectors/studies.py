"""Reads for the researcher pages: membership lists and a study's summary."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count

from collector.access import studies_for_user, study_role
from collector.models import QuestionnaireResponse, Session, Study
from collector.questionnaires import INSTRUMENTS

# The score each instrument is summarised by on the study page.
SUMMARY_SCORES = {
    "pss10": ("total",),
    "stai6": ("total",),
    "sam": ("valence", "arousal", "dominance"),
    "vas": ("stress",),
    "nasa_tlx": ("raw_tlx",),
}


@dataclass(frozen=True)
class StudyListing:
    study: Study
    role: str


@dataclass
class ScoreSummary:
    instrument: str
    title: str
    timing: str
    score: str
    n: int
    mean: float
    minimum: float
    maximum: float


@dataclass
class StudySummary:
    participants: int
    withdrawn: int
    sessions_by_status: dict[str, int]
    consent_versions: list[dict]
    scores: list[ScoreSummary] = field(default_factory=list)


def study_listings(*, user: AbstractBaseUser) -> list[StudyListing]:
    return [
        StudyListing(study=study, role=study_role(user=user, study=study) or "")
        for study in studies_for_user(user).order_by("title")
    ]


def study_summary(*, study: Study) -> StudySummary:
    participants = study.participants.all()
    sessions = (
        Session.objects.filter(participant__study=study)
        .values("status").annotate(n=Count("id")).order_by("status")
    )
    versions = (
        study.consent_versions.annotate(signed=Count("records"))
        .order_by("-version")
        .values("version", "published_at", "sha256", "signed")
    )
    values: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    responses = QuestionnaireResponse.objects.filter(participant__study=study).values_list(
        "instrument", "timing", "scores"
    )
    for instrument, timing, scores in responses.iterator():
        for key in SUMMARY_SCORES.get(instrument, ()):
            if isinstance(scores.get(key), int | float):
                values[(instrument, timing, key)].append(float(scores[key]))
    order = {code: i for i, code in enumerate(SUMMARY_SCORES)}
    timing_order = {"pre": 0, "in_session": 1, "post": 2}
    summaries = [
        ScoreSummary(
            instrument=instrument,
            title=INSTRUMENTS[instrument].title,
            timing=timing,
            score=key,
            n=len(found),
            mean=round(mean(found), 2),
            minimum=min(found),
            maximum=max(found),
        )
        for (instrument, timing, key), found in sorted(
            values.items(), key=lambda kv: (order[kv[0][0]], timing_order.get(kv[0][1], 9))
        )
    ]
    return StudySummary(
        participants=participants.count(),
        withdrawn=participants.filter(withdrawn_at__isnull=False).count(),
        sessions_by_status={row["status"]: row["n"] for row in sessions},
        consent_versions=list(versions),
        scores=summaries,
    )
