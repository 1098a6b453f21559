from django.contrib import admin

from fanfold.moderation.models import ModerationDecision


@admin.register(ModerationDecision)
class ModerationDecisionAdmin(admin.ModelAdmin):
    """The decision log is a record: read here, written only by moderation.actions."""

    list_display = ["created_at", "action", "subject", "moderator", "trusted_authors"]
    list_filter = ["action", "trusted_authors"]
    search_fields = ["subject", "message"]
    date_hierarchy = "created_at"
    list_select_related = ["moderator"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
