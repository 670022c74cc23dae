"""Score a session's frames as soon as it ends (the beat pass would catch up later)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from collector.models import Session, SessionStatus

logger = logging.getLogger(__name__)


def _enqueue(session_id: int) -> None:
    from retraining.models import ModelVersion
    from retraining.tasks import session_infer

    if not ModelVersion.objects.filter(promoted=True).exists():
        return
    try:
        session_infer.delay(session_id)
    except Exception:  # broker down: the periodic pass scores recently ended sessions
        logger.warning("could not queue inference for session %s", session_id, exc_info=True)


@receiver(post_save, sender=Session, dispatch_uid="retraining_session_ended")
def session_ended_infer(sender, instance: Session, update_fields=None, **kwargs) -> None:
    if instance.status != SessionStatus.ENDED or instance.frame_count == 0:
        return
    if update_fields is not None and "status" not in update_fields:
        return
    transaction.on_commit(lambda: _enqueue(instance.pk))
