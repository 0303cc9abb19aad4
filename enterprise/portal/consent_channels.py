"""The portal's Consent and channels page (issue 24 item 4).

- **Data-sharing consent**: the customer's two settings, ``enable_data_sharing_consent`` and
  ``enforce_data_sharing_consent`` — the ones a customer's administrator may change through the
  REST API too (``CustomerSerializer``) — and how its learners answered.
- **Channels**: the customer's connections, their latest runs, the records that failed in them,
  and a look-up by e-mail address of what was sent for one learner (the transmission audit rows
  of their enrollments and the errors recorded for them), from
  ``integrated_channels.integrated_channel.services.customer_status``.

The page needs the ``consent`` and ``integrated_channels.integrated_channel`` apps; a host
without one of them gets the other section only.
"""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from enterprise.models import EnterpriseCustomer
from enterprise.portal.access import customer_of, portal_view


class ConsentSettingsForm(forms.ModelForm):
    class Meta:
        model = EnterpriseCustomer
        fields = ["enable_data_sharing_consent", "enforce_data_sharing_consent"]
        labels = {
            "enable_data_sharing_consent": gettext_lazy("Ask learners for data-sharing consent"),
            "enforce_data_sharing_consent": gettext_lazy("When learners are asked"),
        }


class LearnerLookupForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Learner's e-mail address"),
        max_length=254,
        help_text=gettext_lazy("What was sent to your channels for this learner, connection by connection."),
    )


@require_http_methods(["GET", "HEAD", "POST"])
@portal_view
def consent(request, customer_uuid, *, customers):
    customer = customer_of(customers, customer_uuid)
    if request.method == "POST":
        form = ConsentSettingsForm(request.POST, instance=customer)
        if form.is_valid():
            changed = form.changed_data
            if changed:
                form.save()
            request.portal_audit.note(action="consent:settings", customer=customer, changed=len(changed))
            messages.success(request, _("Data-sharing consent settings saved.") if changed else _("Nothing changed."))
            return HttpResponseRedirect(reverse("enterprise_portal:consent", kwargs={"customer_uuid": customer.uuid}))
        request.portal_audit.note(action="consent:settings", customer=customer, refused=1)
        customer.refresh_from_db()  # the page's other parts show what is saved
    else:
        form = ConsentSettingsForm(instance=customer)
    lookup = LearnerLookupForm(request.GET if "email" in request.GET else None)
    context = {
        "customer": customer,
        "customers": customers,
        "section": "consent",
        "form": form,
        "lookup": lookup,
        "answers": _answers(customer),
        **_channels(customer, lookup),
    }
    return TemplateResponse(request, "enterprise_portal/consent.html", context)


def _answers(customer) -> dict[str, int] | None:
    """How the customer's learners answered (granted, declined, not asked yet): one query."""
    if not apps.is_installed("consent"):
        return None
    from consent.models import DataSharingConsent

    counts = DataSharingConsent.objects.filter(customer=customer).aggregate(
        n_granted=Count("pk", filter=Q(granted=True)),
        n_declined=Count("pk", filter=Q(granted=False)),
        n_not_asked=Count("pk", filter=Q(granted__isnull=True)),
    )
    return {name.removeprefix("n_"): count for name, count in counts.items()}


def _channels(customer, lookup: LearnerLookupForm) -> dict[str, object]:
    if not apps.is_installed("integrated_channels.integrated_channel"):
        return {"channels_installed": False}
    from integrated_channels.integrated_channel.services import customer_status

    runs = customer_status.recent_runs(customer)
    return {
        "channels_installed": True,
        "connections": customer_status.connections(customer),
        "runs": runs,
        "failures": customer_status.recent_failures(runs),
        "failures_limit": customer_status.RECENT_FAILURES,
        "learner": (
            customer_status.learner_transmissions(customer, lookup.cleaned_data["email"])
            if lookup.is_bound and lookup.is_valid()
            else None
        ),
    }
