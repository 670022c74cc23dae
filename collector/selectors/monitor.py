"""What the live monitor shows before the first websocket update arrives."""
from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery

from collector.models import Session, SessionEvent, SessionStatus, Study


def study_live_sessions(*, study: Study) -> list[dict[str, Any]]:
    """The study's recording sessions with frames stored, face ratio and current phase."""
    last_phase = (
        SessionEvent.objects.filter(session=OuterRef("pk"), name="phase_start")
        .order_by("-t_ms")
        .values("data__phase")[:1]
    )
    rows = (
        Session.objects.filter(participant__study=study, status=SessionStatus.ACTIVE)
        .annotate(phase=Subquery(last_phase))
        .values("uuid", "participant__code", "frame_count", "face_frame_count", "started_at",
                "phase")
        .order_by("-started_at")
    )
    return [
        {
            "session": str(row["uuid"]),
            "participant": row["participant__code"],
            "state": "recording",
            "phase": row["phase"] or "",
            "fps": None,
            "frames_stored": row["frame_count"],
            "face_ratio": round(row["face_frame_count"] / row["frame_count"], 3)
            if row["frame_count"]
            else None,
        }
        for row in rows
    ]
