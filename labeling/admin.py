from django.contrib import admin

from labeling.models import Assignment, ExportJob, GoldLabel, LabelSchema, Segment


@admin.register(LabelSchema)
class LabelSchemaAdmin(admin.ModelAdmin):
    list_display = ("study", "allow_note", "allow_confidence")
    search_fields = ("study__slug", "study__title")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("session", "annotator", "assigned_by", "created_at", "completed_at")
    list_filter = ("session__participant__study",)
    search_fields = ("annotator__username", "session__uuid")
    raw_id_fields = ("session",)


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("session", "annotator", "kind", "label", "start_ms", "end_ms", "updated_at")
    list_filter = ("kind", "label", "session__participant__study")
    search_fields = ("annotator__username", "session__uuid", "label")
    raw_id_fields = ("session",)


@admin.register(GoldLabel)
class GoldLabelAdmin(admin.ModelAdmin):
    list_display = ("session", "kind", "label", "start_ms", "end_ms", "source", "agreement")
    list_filter = ("kind", "source", "session__participant__study")
    search_fields = ("session__uuid", "label")
    raw_id_fields = ("session",)


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("uid", "study", "format", "status", "progress", "created_at", "expires_at")
    list_filter = ("status", "format", "study")
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
