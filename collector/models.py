"""Studies, consent, participants, sessions, stored landmark frames, questionnaires
and the append-only audit log."""
from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class StudyRole(models.TextChoices):
    RESEARCHER = "researcher", "Researcher"
    ANNOTATOR = "annotator", "Annotator"


class Study(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_studies"
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StudyMembership", related_name="studies"
    )
    is_active = models.BooleanField(default=True)
    # {"pre": ["pss10", "stai6"], "post": ["stai6", "sam", "nasa_tlx"]}
    questionnaires = models.JSONField(default=dict, blank=True)
    # [{"name": "age", "label": "Age", "type": "int", "required": false}, ...]
    demographics = models.JSONField(default=list, blank=True)
    # {"phases": [{"name": "baseline", "kind": "rest", "duration_s": 60}, ...]}
    protocol = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from collector.questionnaires import INSTRUMENTS, TIMINGS

        errors: dict[str, list[str]] = {"questionnaires": [], "demographics": []}
        for timing, codes in (self.questionnaires or {}).items():
            if timing not in TIMINGS:
                errors["questionnaires"].append(
                    f"Unknown timing {timing!r}; use {', '.join(TIMINGS)}."
                )
            unknown = [code for code in codes if code not in INSTRUMENTS]
            if unknown:
                errors["questionnaires"].append(
                    f"Unknown questionnaires {unknown}; known: {sorted(INSTRUMENTS)}."
                )
        for field in self.demographics or []:
            if not isinstance(field, dict) or not field.get("name"):
                errors["demographics"].append("Every field needs a name.")
            elif field.get("type", "text") not in ("int", "text", "choice"):
                errors["demographics"].append(
                    f"Field {field['name']!r}: type must be int, text or choice."
                )
        if any(errors.values()):
            raise ValidationError({name: found for name, found in errors.items() if found})

    def latest_consent(self) -> ConsentVersion | None:
        return (
            self.consent_versions.filter(published_at__isnull=False)
            .order_by("-version")
            .first()
        )


class StudyMembership(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=StudyRole.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="one_membership_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} in {self.study}"


class ConsentVersion(models.Model):
    """Consent text; immutable once published (a change is a new version)."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="consent_versions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    sha256 = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["study", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["study", "version"], name="unique_consent_version")
        ]

    def __str__(self) -> str:
        return f"{self.study.slug} consent v{self.version}"

    def save(self, *args, **kwargs) -> None:
        if self.pk:
            stored = ConsentVersion.objects.get(pk=self.pk)
            if stored.published_at is not None and (
                stored.text != self.text or stored.version != self.version
            ):
                raise ValidationError("A published consent version cannot be changed.")
        self.sha256 = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        super().save(*args, **kwargs)


class Participant(models.Model):
    """Pseudonymous: a random code, no name or email."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="participants")
    code = models.CharField(max_length=16, unique=True)
    demographics = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.code


class ConsentRecord(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="consent_records"
    )
    consent_version = models.ForeignKey(
        ConsentVersion, on_delete=models.PROTECT, related_name="records"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.participant} signed v{self.consent_version.version}"


class SessionStatus(models.TextChoices):
    CREATED = "created", "Created"
    ACTIVE = "active", "Recording"
    ENDED = "ended", "Ended"


class Session(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="sessions")
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.CREATED
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    # Count of contiguous frames stored (the next expected seq); kept with each chunk write.
    frame_count = models.PositiveIntegerField(default=0)
    face_frame_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.uuid)

    @property
    def study(self) -> Study:
        return self.participant.study


class FrameChunk(models.Model):
    """One stored batch of contiguous frames; never one row per frame.

    data: float32 little-endian (count, 1536); t_ms: float64 (count,);
    presence: uint8 (count, 2) face_ok, pose_ok.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="chunks")
    first_seq = models.PositiveIntegerField()
    count = models.PositiveSmallIntegerField()
    t_start_ms = models.FloatField()
    t_end_ms = models.FloatField()
    face_count = models.PositiveSmallIntegerField(default=0)
    data = models.BinaryField()
    t_ms = models.BinaryField()
    presence = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "first_seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "first_seq"], name="unique_chunk_start")
        ]

    def __str__(self) -> str:
        return f"frames {self.first_seq}-{self.first_seq + self.count - 1}"


class SessionEvent(models.Model):
    """Protocol events (phase start/end, trials, in-session ratings); stored once per eid."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    eid = models.UUIDField()
    name = models.CharField(max_length=64)
    t_ms = models.FloatField()
    data = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "t_ms"]
        constraints = [
            models.UniqueConstraint(fields=["session", "eid"], name="unique_event_id")
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.t_ms:.0f} ms"


class QuestionnaireResponse(models.Model):
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="responses"
    )
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="responses", null=True, blank=True
    )
    instrument = models.CharField(max_length=20)  # pss10, stai6, sam, vas, nasa_tlx
    timing = models.CharField(max_length=20)  # pre, post, in_session
    answers = models.JSONField()
    scores = models.JSONField()
    response_time_ms = models.PositiveIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.instrument} ({self.timing})"


class AuditAction(models.TextChoices):
    CONSENT_SIGNED = "consent_signed", "Consent signed"
    WITHDRAWAL = "withdrawal", "Participant withdrew"
    EXPORT = "export", "Export"
    LABEL_CHANGE = "label_change", "Label change"
    MODEL_PROMOTION = "model_promotion", "Model promotion"
    MODEL_ROLLBACK = "model_rollback", "Model rollback"


class AuditEvent(models.Model):
    """Append-only: rows are never updated or deleted, and carry no personal data."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    study = models.ForeignKey(Study, null=True, blank=True, on_delete=models.SET_NULL)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only.")
