"""Admin: the model registry with its metrics dashboard, training runs (start buttons),
dataset uploads and per-study stress labeling rules."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from retraining.models import (
    DatasetUpload,
    ModelKind,
    ModelVersion,
    SessionPrediction,
    StressLabelRule,
    StressRuleMode,
    TrainingRun,
)
from retraining.selectors import TARGETS, model_versions_overview, version_dashboard_data
from retraining.services.registry import RollbackInvalid, model_version_rollback
from retraining.services.runs import training_run_request


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "kind",
        "version",
        "promoted",
        "accuracy",
        "key_score",
        "decision",
        "created_at",
        "metrics_link",
    )
    list_filter = ("kind", "promoted")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]
    actions = ["rollback_to_version"]
    change_list_template = "admin/retraining/modelversion/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="accuracy")
    def accuracy(self, obj: ModelVersion) -> str:
        return _fmt(obj.metrics.get("accuracy"))

    @admin.display(description="macro-F1 / AUC")
    def key_score(self, obj: ModelVersion) -> str:
        return _fmt(obj.metrics.get(obj.key_metric))

    @admin.display(description="promotion decision")
    def decision(self, obj: ModelVersion) -> str:
        return obj.comparison.get("reason", "")

    @admin.display(description="metrics")
    def metrics_link(self, obj: ModelVersion) -> str:
        url = reverse("admin:retraining_modelversion_metrics", args=[obj.pk])
        return format_html('<a href="{}">charts</a>', url)

    @admin.action(description="Roll back: make the selected version the promoted one")
    def rollback_to_version(self, request: HttpRequest, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version.", messages.ERROR)
            return
        version = queryset.get()
        try:
            model_version_rollback(version=version, actor=request.user)
        except RollbackInvalid as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"{version} is now the promoted {version.kind} model.")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="retraining_modelversion_dashboard"),
            path(
                "<int:pk>/metrics/", view(self.metrics_view), name="retraining_modelversion_metrics"
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str) -> dict:
        return {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}

    def dashboard_view(self, request: HttpRequest):
        if not self.has_view_permission(request):
            raise PermissionDenied
        versions = model_versions_overview()
        history = {
            kind: [
                {
                    "version": v.version,
                    "accuracy": v.metrics.get("accuracy"),
                    "key": v.metrics.get(v.key_metric),
                    "promoted": v.promoted,
                }
                for v in versions
                if v.kind == kind
            ]
            for kind in ModelKind.values
        }
        context = self._context(request, "Model versions and metrics")
        context.update(
            versions=versions,
            dashboard={"history": history, "targets": TARGETS},
        )
        return TemplateResponse(request, "admin/retraining/modelversion/dashboard.html", context)

    def metrics_view(self, request: HttpRequest, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion.objects.select_related("source_run"), pk=pk)
        data = version_dashboard_data(version=version)
        matrix = data["metrics"].get("confusion_matrix") or []
        peak = max((max(row) for row in matrix if row), default=0) or 1
        heatmap = [
            (name, [(n, round(n / peak, 3)) for n in row])
            for name, row in zip(version.class_names, matrix, strict=False)
        ]
        context = self._context(request, f"{version} metrics")
        context.update(version=version, data=data, heatmap=heatmap, run=version.source_run)
        return TemplateResponse(request, "admin/retraining/modelversion/metrics.html", context)


@admin.register(TrainingRun)
class TrainingRunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "step",
        "trigger",
        "dataset_short",
        "attempts",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "status")
    readonly_fields = [f.name for f in TrainingRun._meta.fields]
    change_list_template = "admin/retraining/trainingrun/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="dataset")
    def dataset_short(self, obj: TrainingRun) -> str:
        return obj.dataset_hash[:12]

    def get_urls(self):
        return [
            path(
                "start/<str:kind>/",
                self.admin_site.admin_view(require_POST(self.start_view)),
                name="retraining_trainingrun_start",
            ),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest, kind: str):
        if not request.user.has_perm("retraining.add_trainingrun"):
            raise PermissionDenied
        if kind not in ModelKind.values:
            raise PermissionDenied
        run, created = training_run_request(kind=kind, trigger="admin", requested_by=request.user)
        if created:
            self.message_user(request, f"Queued {kind} run #{run.pk}.")
        else:
            self.message_user(
                request, f"A {kind} run (#{run.pk}) is already {run.status}.", messages.WARNING
            )
        return HttpResponseRedirect(reverse("admin:retraining_trainingrun_changelist"))

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra = {
            "kinds": ModelKind.choices,
            "can_start": request.user.has_perm("retraining.add_trainingrun"),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})


class DatasetUploadForm(forms.ModelForm):
    class Meta:
        model = DatasetUpload
        fields = ("name", "file", "active")

    def clean_file(self):
        from ml.dataset import DatasetFormatError, load_npz

        upload = self.cleaned_data["file"]
        digest = hashlib.sha256()
        with tempfile.NamedTemporaryFile(suffix=".npz") as tmp:
            for block in upload.chunks():
                digest.update(block)
                tmp.write(block)
            tmp.flush()
            try:
                ds = load_npz(Path(tmp.name))
            except DatasetFormatError as exc:
                raise forms.ValidationError(f"Not a valid landmark dataset: {exc}") from exc
            except Exception as exc:  # a corrupt archive: zip/pickle errors of every kind
                raise forms.ValidationError(f"Could not read the NPZ file: {exc}") from exc
        upload.seek(0)
        self.dataset_summary = {
            "sha256": digest.hexdigest(),
            "n_rows": int(ds.X.shape[0]),
            "n_labeled": int((ds.y >= 0).sum()),
        }
        return upload


@admin.register(DatasetUpload)
class DatasetUploadAdmin(admin.ModelAdmin):
    form = DatasetUploadForm
    list_display = ("name", "n_rows", "n_labeled", "active", "uploaded_at", "sha256")
    readonly_fields = ("sha256", "n_rows", "n_labeled", "uploaded_by", "uploaded_at")

    def save_model(self, request, obj, form, change):
        summary = getattr(form, "dataset_summary", None)
        if summary:
            for key, value in summary.items():
                setattr(obj, key, value)
        if obj.uploaded_by_id is None:
            obj.uploaded_by = request.user
        super().save_model(request, obj, form, change)


class StressLabelRuleForm(forms.ModelForm):
    class Meta:
        model = StressLabelRule
        fields = (
            "study",
            "mode",
            "phase_labels",
            "self_report_event",
            "self_report_field",
            "threshold",
        )

    def clean(self):
        data = super().clean()
        labels = data.get("phase_labels") or {}
        if data.get("mode") == StressRuleMode.PHASE:
            if not isinstance(labels, dict) or not labels:
                example = '{"baseline": 0, "stroop": 1}'
                raise forms.ValidationError(
                    {"phase_labels": f"Map phase names to 0 or 1, e.g. {example}."}
                )
            bad = [
                k for k, v in labels.items() if not isinstance(v, int | float) or not 0 <= v <= 1
            ]
            if bad:
                raise forms.ValidationError({"phase_labels": f"Values must be in [0, 1]: {bad}"})
        return data


@admin.register(StressLabelRule)
class StressLabelRuleAdmin(admin.ModelAdmin):
    form = StressLabelRuleForm
    list_display = ("study", "mode", "threshold")


@admin.register(SessionPrediction)
class SessionPredictionAdmin(admin.ModelAdmin):
    list_display = ("session", "emotion_version", "stress_version", "next_seq", "updated_at")
    readonly_fields = ("session", "emotion_version", "stress_version", "next_seq", "updated_at")
    exclude = ("t_ms", "emotion_probs", "stress_t_ms", "stress")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
