"""Annotation segments, assignments, gold labels and exports.

Every row that holds labels hangs off a Session with CASCADE, so withdrawing a
participant (which deletes their sessions) deletes their annotations too.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from collector.models import Session, Study
from ml.features import EMOTIONS, STRESS_LEVELS


class LabelKind(models.TextChoices):
    """The label sets a study annotates; each is agreed on and exported separately."""

    EMOTION = "emotion", "Emotion"
    STRESS = "stress", "Stress level"


def default_emotion_labels() -> list[str]:
    return list(EMOTIONS)


def default_stress_levels() -> list[str]:
    return list(STRESS_LEVELS)


class LabelSchema(models.Model):
    """Per-study label vocabulary. Stress levels are ordinal, in the order listed."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="label_schema")
    emotion_labels = models.JSONField(default=default_emotion_labels)
    stress_levels = models.JSONField(default=default_stress_levels)
    allow_note = models.BooleanField(default=True)
    allow_confidence = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"Label schema of {self.study}"

    def labels_for(self, kind: str) -> list[str]:
        if kind == LabelKind.EMOTION:
            return list(self.emotion_labels)
        if kind == LabelKind.STRESS:
            return list(self.stress_levels)
        raise ValidationError(f"Unknown label kind {kind!r}.")

    def clean(self) -> None:
        for name in ("emotion_labels", "stress_levels"):
            values = getattr(self, name)
            if not isinstance(values, list) or not values or len(set(values)) != len(values):
                raise ValidationError({name: "Give a non-empty list of distinct labels."})
            if not all(isinstance(v, str) and v.strip() for v in values):
                raise ValidationError({name: "Labels must be non-empty strings."})


class Assignment(models.Model):
    """An annotator is asked to label one session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="label_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "annotator"], name="uniq_assignment")
        ]
        ordering = ["session_id", "annotator_id"]

    def __str__(self) -> str:
        return f"{self.session} -> {self.annotator}"


class Segment(models.Model):
    """One annotator's label over a time span of a session (session-relative ms)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="segments")
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="segments"
    )
    kind = models.CharField(max_length=16, choices=LabelKind.choices)
    label = models.CharField(max_length=64)
    start_ms = models.FloatField()
    end_ms = models.FloatField()
    confidence = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session_id", "start_ms"]
        indexes = [models.Index(fields=["session", "kind"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_ms__gt=models.F("start_ms")), name="segment_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} [{self.start_ms:.0f}-{self.end_ms:.0f} ms]"


class GoldSource(models.TextChoices):
    MAJORITY = "majority", "Majority vote"
    ADJUDICATED = "adjudicated", "Researcher adjudication"


class GoldLabel(models.Model):
    """A consensus label over a time span; these are what training uses."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="gold_labels")
    kind = models.CharField(max_length=16, choices=LabelKind.choices)
    label = models.CharField(max_length=64)
    start_ms = models.FloatField()
    end_ms = models.FloatField()
    source = models.CharField(max_length=16, choices=GoldSource.choices)
    annotators = models.PositiveSmallIntegerField(default=0)
    agreement = models.FloatField(default=0.0)  # share of annotators who chose this label
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["session_id", "kind", "start_ms"]
        indexes = [models.Index(fields=["session", "kind"])]

    def __str__(self) -> str:
        return f"gold {self.kind} {self.label} [{self.start_ms:.0f}-{self.end_ms:.0f} ms]"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV (one row per frame)"
    PARQUET = "parquet", "Parquet"
    NPZ = "npz", "NPZ (ML dataset format)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJob(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=16, choices=ExportFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.FloatField(default=0.0)  # 0..1
    file_path = models.CharField(max_length=500, blank=True)
    file_size = models.BigIntegerField(default=0)
    manifest = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.study} ({self.status})"

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == ExportStatus.SUCCEEDED
            and bool(self.file_path)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )
