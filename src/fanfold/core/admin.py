from django.contrib import admin

from fanfold.core.models import ArchiveSettings


@admin.register(ArchiveSettings)
class ArchiveSettingsAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return not ArchiveSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
