"""Training runs, the model registry, dataset sources, labeling rules and live predictions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from collector.models import Session, Study


class ModelKind(models.TextChoices):
    EMOTION = "emotion", "Emotion"
    STRESS = "stress", "Stress"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class RunStep(models.TextChoices):
    WAITING = "", "Waiting"
    ASSEMBLING = "assembling", "Assembling dataset"
    TRAINING = "training", "Training"
    EXPORTING = "exporting", "Exporting ONNX"
    EVALUATING = "evaluating", "Evaluating"
    DONE = "done", "Done"


ACTIVE_RUN_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


class TrainingRun(models.Model):
    kind = models.CharField(max_length=10, choices=ModelKind.choices)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    step = models.CharField(
        max_length=12, choices=RunStep.choices, default=RunStep.WAITING, blank=True
    )
    trigger = models.CharField(max_length=20, default="admin")  # admin, schedule, cli
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    params = models.JSONField(default=dict, blank=True)
    dataset_hash = models.CharField(max_length=64, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    # One row per finished epoch, as reported by the trainer.
    curves = models.JSONField(default=list, blank=True)
    # Seconds spent in each step of the last attempt.
    timings = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two triggers while a run is pending end up on the same run.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} run #{self.pk} ({self.status})"


class KindLock(models.Model):
    """A lease on a model kind: only the holder of the token may train that kind.

    Taken with one conditional UPDATE (atomic on PostgreSQL and SQLite alike), renewed
    by heartbeats, and free for the taking once expired, so a dead worker never
    blocks retraining for longer than the lease.
    """

    kind = models.CharField(max_length=10, choices=ModelKind.choices, primary_key=True)
    token = models.CharField(max_length=64, blank=True)
    run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} lock"


def model_upload_to(instance: ModelVersion, filename: str) -> str:
    return f"{settings.RETRAIN_MODEL_SUBDIR}/{instance.kind}/v{instance.version}/{filename}"


class ModelVersion(models.Model):
    kind = models.CharField(max_length=10, choices=ModelKind.choices)
    version = models.PositiveIntegerField()
    onnx = models.FileField(upload_to=model_upload_to, max_length=300)
    onnx_int8 = models.FileField(upload_to=model_upload_to, max_length=300, blank=True)
    checkpoint = models.FileField(upload_to=model_upload_to, max_length=300)
    normalization = models.JSONField(default=dict, blank=True)
    class_names = models.JSONField(default=list, blank=True)
    # Held-out (subject-grouped test split) metrics reported by the trainer.
    metrics = models.JSONField(default=dict, blank=True)
    # The promotion decision: both models scored by the same code on the same split.
    comparison = models.JSONField(default=dict, blank=True)
    promoted = models.BooleanField(default=False)
    promoted_at = models.DateTimeField(null=True, blank=True)
    source_run = models.OneToOneField(
        TrainingRun, on_delete=models.PROTECT, related_name="model_version"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="unique_kind_version"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(promoted=True), name="one_promoted_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} v{self.version}"

    @property
    def key_metric(self) -> str:
        return "macro_f1" if self.kind == ModelKind.EMOTION else "auc"


class DatasetUpload(models.Model):
    """An extra labeled dataset (e.g. extracted FER2013 landmarks) in the NPZ contract format."""

    name = models.CharField(max_length=200)
    file = models.FileField(upload_to="datasets/", max_length=300)
    sha256 = models.CharField(max_length=64, editable=False)
    n_rows = models.PositiveIntegerField(default=0, editable=False)
    n_labeled = models.PositiveIntegerField(default=0, editable=False)
    active = models.BooleanField(default=True, help_text="Included in the next retrain.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.name


class StressRuleMode(models.TextChoices):
    GOLD = "gold", "Gold stress segments"
    PHASE = "phase", "Protocol phase mapping"
    SELF_REPORT = "self_report", "In-session self-report threshold"


class StressLabelRule(models.Model):
    """How a study's frames get a stress target."""

    study = models.OneToOneField(Study, on_delete=models.CASCADE, related_name="stress_rule")
    mode = models.CharField(max_length=12, choices=StressRuleMode.choices)
    # phase mode: {"baseline": 0, "recovery": 0, "stroop": 1, "arithmetic": 1}
    phase_labels = models.JSONField(default=dict, blank=True)
    # self_report mode: the event carrying the rating and the dotted path to the value
    # inside its data (the capture page sends {"responses": {"vas": {"stress": 0..100}}}).
    self_report_event = models.CharField(max_length=64, default="rating", blank=True)
    self_report_field = models.CharField(max_length=100, default="responses.vas.stress", blank=True)
    threshold = models.FloatField(default=50.0)

    def __str__(self) -> str:
        return f"{self.study.slug}: {self.get_mode_display()}"


class SessionPrediction(models.Model):
    """Live model outputs for one session, extended incrementally as chunks arrive."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="prediction")
    emotion_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stress_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Frames [0, next_seq) have been scored.
    next_seq = models.PositiveIntegerField(default=0)
    t_ms = models.JSONField(default=list, blank=True)
    emotion_probs = models.JSONField(default=list, blank=True)
    stress_t_ms = models.JSONField(default=list, blank=True)
    stress = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"predictions for {self.session_id}"
