"""A per-kind training lease held in the database (works the same on PostgreSQL and SQLite).

Each call is a single conditional UPDATE, so two workers racing for the same kind
can never both win: the database serialises the writes and the WHERE clause is
re-checked against the committed row.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from retraining.models import KindLock


class LockLost(Exception):
    """Another attempt took over the kind's lease (ours had expired)."""


def _lease_end():
    return timezone.now() + timedelta(seconds=settings.RETRAIN_LOCK_TTL_S)


def kind_lock_acquire(*, kind: str, token: str, run_id: int) -> bool:
    """Take the lease if it is free, expired or already ours."""
    KindLock.objects.get_or_create(kind=kind)
    taken = (
        KindLock.objects.filter(kind=kind)
        .filter(Q(token="") | Q(expires_at__lt=timezone.now()) | Q(token=token))
        .update(token=token, run_id=run_id, expires_at=_lease_end())
    )
    return taken == 1


def kind_lock_renew(*, kind: str, token: str) -> None:
    if not KindLock.objects.filter(kind=kind, token=token).update(expires_at=_lease_end()):
        raise LockLost(f"the {kind} training lease was taken over by another attempt")


def kind_lock_release(*, kind: str, token: str) -> None:
    KindLock.objects.filter(kind=kind, token=token).update(token="", run=None, expires_at=None)


def kind_lock_seconds_left(*, kind: str) -> float:
    lock = KindLock.objects.filter(kind=kind).first()
    if lock is None or not lock.token or lock.expires_at is None:
        return 0.0
    return max(0.0, (lock.expires_at - timezone.now()).total_seconds())
