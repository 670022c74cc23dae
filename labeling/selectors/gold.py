"""Gold (consensus) labels as plain records: what retraining and exports read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.models import Study
from labeling.models import GoldLabel


@dataclass(frozen=True)
class GoldSegment:
    session_id: int
    start_ms: float
    end_ms: float
    label: str
    kind: str


def gold_segments(*, study: Study, kind: str) -> list[GoldSegment]:
    """The study's gold segments of one label kind, excluding withdrawn participants."""
    rows = (
        GoldLabel.objects.filter(
            session__participant__study=study,
            session__participant__withdrawn_at__isnull=True,
            kind=kind,
        )
        .order_by("session_id", "start_ms")
        .values_list("session_id", "start_ms", "end_ms", "label", "kind")
    )
    return [GoldSegment(*row) for row in rows]


def sessions_with_gold_since(*, since: datetime | None) -> int:
    """How many distinct sessions received gold labels after `since` (all when None)."""
    qs = GoldLabel.objects.filter(session__participant__withdrawn_at__isnull=True)
    if since is not None:
        qs = qs.filter(created_at__gt=since)
    return qs.values("session_id").distinct().count()
