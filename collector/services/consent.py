"""Consent: a participant is enrolled only by agreeing to the study's current version."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from collector.models import AuditAction, ConsentRecord, ConsentVersion, Participant, Study
from collector.services.audit import audit_record
from collector.services.participants import participant_create


class ConsentRequired(Exception):
    """The explicit agreement is missing."""


class ConsentNotCurrent(Exception):
    """The version agreed to is not the study's latest published consent."""


class StudyClosed(Exception):
    """The study is not accepting participants."""


def consent_sign(*, participant: Participant, version: ConsentVersion) -> ConsentRecord:
    if version.study_id != participant.study_id or version.published_at is None:
        raise ConsentNotCurrent("This consent version does not belong to the study.")
    latest = participant.study.latest_consent()
    if latest is None or latest.pk != version.pk:
        raise ConsentNotCurrent(
            "The consent text has changed since the page was opened; please read it again."
        )
    record = ConsentRecord.objects.create(participant=participant, consent_version=version)
    audit_record(
        action=AuditAction.CONSENT_SIGNED,
        study=participant.study,
        obj=record,
        details={"consent_version": version.version, "sha256": version.sha256},
    )
    return record


def participant_enrol(
    *, study: Study, version: ConsentVersion | None, agreed: bool
) -> tuple[Participant, ConsentRecord]:
    """A new pseudonymous participant who signed `version`; all or nothing."""
    if not study.is_active:
        raise StudyClosed("This study is not accepting participants.")
    if version is None or version.study_id != study.pk:
        raise ConsentNotCurrent("This consent version does not belong to the study.")
    if not agreed:
        raise ConsentRequired("Please tick the box to confirm that you agree to take part.")
    with transaction.atomic():
        participant = participant_create(study=study)
        record = consent_sign(participant=participant, version=version)
    return participant, record


def consent_version_publish(*, version: ConsentVersion) -> ConsentVersion:
    """Publish a draft; from now on its text and number are fixed. Idempotent."""
    if version.published_at is None:
        version.published_at = timezone.now()
        version.save(update_fields=["published_at", "sha256"])
    return version
