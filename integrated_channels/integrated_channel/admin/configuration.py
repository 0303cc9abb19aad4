"""The admin every connection (channel configuration) uses: name, enable switch, notifications,
secrets write-only, Test connection, and links to the pages of its operations."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import models
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enterprise.fields import EncryptedTextField, encrypted_field_names
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.admin.runs import changeable_object, outcome_level
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.registry import CONTENT_METADATA, LEARNER_DATA, registry
from integrated_channels.integrated_channel.services import connections, dispatch, execution_status, run_wording
from integrated_channels.integrated_channel.services.results import LOCKED

COMMON_FIELDS = ("name",)
NOTIFICATION_FIELDS = ("notify_emails", "notify_when")


def secret_widget() -> forms.PasswordInput:
    return forms.PasswordInput(
        render_value=False,
        attrs={"autocomplete": "new-password", "placeholder": _("Stored encrypted. Type to replace.")},
    )


class ChannelConfigurationForm(forms.ModelForm):
    """The change form of a configuration: when the host its credentials go to changes, every stored
    secret must be typed again (a blank secret keeps the stored one otherwise; decision 0152)."""

    def clean(self):
        cleaned = super().clean()
        stored = self.instance if self.instance.pk else None
        model = type(self.instance)
        values = {name: cleaned[name] for name in model.CREDENTIALS_SENT_TO if name in cleaned}
        entered = {name for name in encrypted_field_names(model) if cleaned.get(name)}
        for name, message in addresses.reentry_errors(stored, values, entered, encrypted_field_names(model)).items():
            if name in self.fields:
                self.add_error(name, message)
        return cleaned


class ChannelConfigurationAdmin(admin.ModelAdmin):
    """Base admin of connections. Secret fields (``EncryptedTextField``) are write-only: their widget
    never renders the stored value and a blank input keeps it.

    The admin's own default widget for text fields is a textarea showing the value; the explicit
    override keeps secrets write-only whatever the field's own ``formfield`` does (decision 0027).
    The connection's name and its notification fields are added to every channel's form (a channel
    lists only its own fields); the change page adds Test connection and its operations' pages.
    """

    form = ChannelConfigurationForm
    formfield_overrides = {
        EncryptedTextField: {"widget": secret_widget()},
        models.URLField: {"assume_scheme": "https"},
    }

    change_form_template = "admin/integrated_channel/connection_change_form.html"
    list_display = ("customer", "name", "active", "last_run", "modified")
    list_filter = ("active",)
    list_select_related = ("customer",)
    search_fields = ("customer__name", "customer__slug", "=customer__uuid", "name")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created", "modified")
    actions = ["send_learner_data_now", "send_content_metadata_now"]

    def get_fieldsets(self, request, obj=None):
        """The channel's fieldsets, with the connection name after the customer and a Notifications section."""
        fieldsets = [(title, dict(options)) for title, options in super().get_fieldsets(request, obj)]
        present = {name for _title, options in fieldsets for name in _flat(options.get("fields", ()))}
        if "name" not in present and fieldsets:
            fields = list(fieldsets[0][1].get("fields", ()))
            at = fields.index("customer") + 1 if "customer" in fields else 0
            fieldsets[0][1]["fields"] = (*fields[:at], "name", *fields[at:])
        missing = [name for name in NOTIFICATION_FIELDS if name not in present]
        if missing:
            fieldsets.append((_("Run notifications"), {"fields": tuple(missing)}))
        return fieldsets

    def get_queryset(self, request):
        latest = Run.objects.filter(configuration_id=OuterRef("pk")).order_by("-started_at", "-id")
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_id=Subquery(latest.values("pk")[:1]),
                last_run_status=Subquery(latest.values("status")[:1]),
                last_run_kind=Subquery(latest.values("kind")[:1]),
            )
        )

    @admin.display(description=_("last run"))
    def last_run(self, obj):
        """The connection's newest run, whatever its operation."""
        if not getattr(obj, "last_run_id", None):
            return "-"
        url = reverse("admin:integrated_channel_run_change", args=[obj.last_run_id])
        label = registry.kind_label(obj.last_run_kind, obj.channel)
        status = Run.Status(obj.last_run_status).label
        return format_html('<a href="{}">#{} {}: {}</a>', url, obj.last_run_id, label, status)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if obj is not None:
            channel = obj.get_channel()
            exports = any(operation.direction == "export" for operation in channel.all_operations())
            if request.method == "GET" and exports and not obj.customer.enable_data_sharing_consent:
                messages.warning(
                    request,
                    _(
                        "Data-sharing consent is off for %(customer)s: the data of all its learners is sent through "
                        "this channel without their explicit consent."
                    )
                    % {"customer": obj.customer},
                )
            can_change = self.has_change_permission(request, obj)
            extra["connection_operations"] = execution_status.operation_summaries(obj)
            extra["connectors_url"] = reverse("admin:integrated_channel_connectors", args=[obj.customer_id])
            if channel.test_connection and can_change:
                opts = self.model._meta
                extra["test_connection_url"] = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_test_connection", args=[obj.pk]
                )
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<path:object_id>/test-connection/",
                self.admin_site.admin_view(self.test_connection_view),
                name=f"{opts.app_label}_{opts.model_name}_test_connection",
            ),
            *super().get_urls(),
        ]

    def test_connection_view(self, request, object_id):
        """POST only (CSRF-checked by ``admin_view``): authenticate against the remote and say what was found."""
        configuration = changeable_object(self, request, object_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        result = connections.test_connection(configuration)
        level = messages.SUCCESS if result.ok else messages.ERROR
        text = _("Test connection: %(message)s") % {"message": result.summary()}
        messages.add_message(request, level, text)
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[configuration.pk])
        )

    # On-demand transmits (channels that send learner data or courses)

    def _run_now(self, request, queryset, kind):
        inactive = queryset.exclude(active=True).count() + queryset.filter(active=True, customer__active=False).count()
        if inactive:
            messages.warning(request, _("%d inactive configuration(s) skipped.") % inactive)
        results = dispatch.transmit(
            kind=kind,
            api_user=request.user,
            configuration_ids=list(queryset.values_list("pk", flat=True)),
            trigger=Run.Trigger.ADMIN,
            on_dispatched=lambda count: messages.info(
                request, ngettext("%d run queued for the workers.", "%d runs queued for the workers.", count) % count
            ),
            wait=False,
        )
        for result in results:
            if result.status == LOCKED:
                level, text = messages.WARNING, _("not started: another run is in progress")
            else:
                level = outcome_level(result.status)
                text = run_wording.outcome_of(
                    run_id=result.run_id,
                    status=result.status,
                    sent=result.sent,
                    failed=result.failed,
                    skipped=result.skipped,
                    not_attempted=result.not_attempted,
                )
            messages.add_message(request, level, f"{result.customer_name} / {result.channel}: {text}")

    @admin.action(description=_("Send learner data now"), permissions=["change"])
    def send_learner_data_now(self, request, queryset):
        self._run_now(request, queryset, LEARNER_DATA)

    @admin.action(description=_("Send course metadata now"), permissions=["change"])
    def send_content_metadata_now(self, request, queryset):
        self._run_now(request, queryset, CONTENT_METADATA)


def _flat(fields) -> list[str]:
    names = []
    for field in fields:
        names.extend(field if isinstance(field, list | tuple) else [field])
    return names
