from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from fanfold.accounts.models import Profile, ProfileField, ProfileFieldValue, User


@admin.register(User)
class MemberAdmin(UserAdmin):
    list_display = ["username", "email", "email_confirmed", "is_active", "is_staff"]
    list_filter = ["email_confirmed", *UserAdmin.list_filter]
    fieldsets = [*UserAdmin.fieldsets, ("Archive", {"fields": ["email_confirmed", "legacy_uid"]})]


class ProfileFieldValueInline(admin.TabularInline):
    model = ProfileFieldValue
    extra = 0


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["pen_name", "user", "story_count", "trusted"]
    search_fields = ["pen_name", "pen_name_key", "user__email"]
    list_filter = ["trusted"]
    readonly_fields = ["bio", "bio_source", "bio_format", "story_count"]
    exclude = ["legacy"]
    raw_id_fields = ["user"]
    inlines = [ProfileFieldValueInline]


@admin.register(ProfileField)
class ProfileFieldAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "order", "is_active"]
    list_editable = ["order", "is_active"]
