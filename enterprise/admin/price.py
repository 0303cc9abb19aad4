"""Prices of courses and programs, per customer or default."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from enterprise.models import Price


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = ("content_type", "content_id", "customer", "amount", "currency", "modified")
    list_select_related = ("customer",)
    list_filter = ("content_type", "currency")
    search_fields = ("=content_id", "customer__name")
    search_help_text = _("An exact course id or program UUID, or part of a customer's name.")
    autocomplete_fields = ("customer",)
    fields = ("content_type", "content_id", "customer", "amount", "currency")
