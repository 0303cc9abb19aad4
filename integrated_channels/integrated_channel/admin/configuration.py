"""The admin every channel's configuration uses: secrets write-only, the last run, on-demand runs."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from enterprise.fields import EncryptedTextField, encrypted_field_names
from integrated_channels.integrated_channel import addresses
from integrated_channels.integrated_channel.models import Run
from integrated_channels.integrated_channel.services import dispatch
from integrated_channels.integrated_channel.services.results import LOCKED


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
    """Base admin of channel configurations. Secret fields (``EncryptedTextField``) are write-only:
    their widget never renders the stored value and a blank input keeps it.

    The admin's own default widget for text fields is a textarea showing the value; the explicit
    override keeps secrets write-only whatever the field's own ``formfield`` does (decision 0027).
    """

    form = ChannelConfigurationForm
    formfield_overrides = {
        EncryptedTextField: {"widget": secret_widget()},
        models.URLField: {"assume_scheme": "https"},
    }

    list_display = ("customer", "active", "last_run", "modified")
    list_filter = ("active",)
    list_select_related = ("customer",)
    search_fields = ("customer__name", "customer__slug", "=customer__uuid")
    autocomplete_fields = ("customer",)
    readonly_fields = ("created", "modified")
    actions = ["send_learner_data_now", "send_content_metadata_now"]

    def get_queryset(self, request):
        latest = Run.objects.filter(configuration_id=OuterRef("pk"), kind=Run.Kind.LEARNER_DATA).order_by(
            "-started_at", "-id"
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                last_run_id=Subquery(latest.values("pk")[:1]), last_run_status=Subquery(latest.values("status")[:1])
            )
        )

    @admin.display(description=_("last learner-data run"))
    def last_run(self, obj):
        if not getattr(obj, "last_run_id", None):
            return "-"
        url = reverse("admin:integrated_channel_run_change", args=[obj.last_run_id])
        return format_html('<a href="{}">#{} {}</a>', url, obj.last_run_id, Run.Status(obj.last_run_status).label)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None and not obj.customer.enable_data_sharing_consent:
            messages.warning(
                request,
                _(
                    "Data-sharing consent is off for %(customer)s: the data of all its learners is sent through "
                    "this channel without their explicit consent."
                )
                % {"customer": obj.customer},
            )
        return super().change_view(request, object_id, form_url, extra_context)

    # On-demand runs

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
                level = messages.ERROR if result.run_failed else messages.SUCCESS
                text = _("run #%(id)s %(status)s: %(sent)d sent, %(failed)d failed, %(skipped)d skipped") % {
                    "id": result.run_id,
                    "status": Run.Status(result.status).label.lower(),
                    "sent": result.sent,
                    "failed": result.failed,
                    "skipped": result.skipped,
                }
            messages.add_message(request, level, f"{result.customer_name} / {result.channel}: {text}")

    @admin.action(description=_("Send learner data now"), permissions=["change"])
    def send_learner_data_now(self, request, queryset):
        self._run_now(request, queryset, Run.Kind.LEARNER_DATA)

    @admin.action(description=_("Send course metadata now"), permissions=["change"])
    def send_content_metadata_now(self, request, queryset):
        self._run_now(request, queryset, Run.Kind.CONTENT_METADATA)
