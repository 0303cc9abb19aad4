from django.contrib import admin

from enterprise.models import EnrollmentNotificationEmailTemplate


@admin.register(EnrollmentNotificationEmailTemplate)
class EnrollmentNotificationEmailTemplateAdmin(admin.ModelAdmin):
    list_display = ("__str__", "customer", "template_type", "subject_line", "modified")
    list_select_related = ("customer",)
    list_filter = ("template_type",)
    search_fields = ("customer__name", "subject_line")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created", "modified")
