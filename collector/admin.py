"""Admin for every collector model; the audit log and published consent are read-only."""
from __future__ import annotations

from django.contrib import admin, messages

from collector.models import (
    AuditEvent,
    ConsentRecord,
    ConsentVersion,
    FrameChunk,
    Participant,
    QuestionnaireResponse,
    Session,
    SessionEvent,
    Study,
    StudyMembership,
)
from collector.services.consent import consent_version_publish


class MembershipInline(admin.TabularInline):
    model = StudyMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "owner", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [MembershipInline]


@admin.register(StudyMembership)
class StudyMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "study", "role"]
    list_filter = ["role", "study"]
    search_fields = ["user__username", "study__slug"]


@admin.register(ConsentVersion)
class ConsentVersionAdmin(admin.ModelAdmin):
    list_display = ["study", "version", "published_at", "sha256"]
    list_filter = ["study", ("published_at", admin.EmptyFieldListFilter)]
    search_fields = ["study__slug", "text"]
    readonly_fields = ["sha256"]
    actions = ["publish"]

    @admin.action(description="Publish the selected drafts (their text is then fixed)")
    def publish(self, request, queryset) -> None:
        drafts = list(queryset.filter(published_at__isnull=True))
        for version in drafts:
            consent_version_publish(version=version)
        self.message_user(request, f"Published {len(drafts)} consent version(s).",
                          messages.SUCCESS)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return ["study", "version", "text", "sha256", "published_at", "created_at"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["code", "study", "created_at", "withdrawn_at"]
    list_filter = ["study", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["code"]
    readonly_fields = ["code", "created_at", "withdrawn_at"]


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    list_display = ["participant", "consent_version", "signed_at", "withdrawn_at"]
    list_filter = ["consent_version__study", ("withdrawn_at", admin.EmptyFieldListFilter)]
    search_fields = ["participant__code"]
    readonly_fields = ["participant", "consent_version", "signed_at", "withdrawn_at"]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["uuid", "participant", "status", "created_at", "ended_at", "frame_count"]
    list_filter = ["status", "participant__study"]
    search_fields = ["uuid", "participant__code"]
    readonly_fields = ["uuid", "frame_count", "face_frame_count"]


@admin.register(FrameChunk)
class FrameChunkAdmin(admin.ModelAdmin):
    list_display = ["session", "first_seq", "count", "t_start_ms", "t_end_ms", "face_count"]
    list_filter = ["session__participant__study"]
    search_fields = ["session__uuid"]
    exclude = ["data", "t_ms", "presence"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SessionEvent)
class SessionEventAdmin(admin.ModelAdmin):
    list_display = ["session", "name", "t_ms", "received_at"]
    list_filter = ["name"]
    search_fields = ["session__uuid", "name"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(admin.ModelAdmin):
    list_display = ["participant", "instrument", "timing", "response_time_ms", "submitted_at"]
    list_filter = ["instrument", "timing", "participant__study"]
    search_fields = ["participant__code"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "study", "actor", "object_type", "object_id"]
    list_filter = ["action", "study"]
    search_fields = ["object_type", "object_id", "actor__username"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
