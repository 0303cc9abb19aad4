"""The portal's Reports dashboard: four charts of one customer, date-range filters, CSV exports.

Scoped like every portal page (``access.portal_view`` + ``access.customer_of``: 404 for another
customer). The figures come from ``enterprise.portal.reports`` (SQL aggregates); the charts'
geometry from ``enterprise.portal.charts``. Exports escape every text cell (``escape_cell``).
"""

from __future__ import annotations

import csv
import datetime

from django import forms
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from enterprise.csv_safety import escape_cell
from enterprise.models import ReportRefresh
from enterprise.portal import charts
from enterprise.portal import reports as figures
from enterprise.portal.access import customer_of, portal_view

REFRESH_INTERVAL = datetime.timedelta(minutes=5)  # the soonest a customer's administrator may refresh again
CACHE_SECONDS = 3600  # a rolled-up figure's life in the cache (its key changes with every refresh anyway)
LIVE_CACHE_SECONDS = 60  # learners by field before a refresh counted them: a minute old at most (the CSV is live)
EXPORTS = ("enrollments", "courses", "learners", "deliveries")


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    field = forms.ChoiceField(label=gettext_lazy("Group learners by"))

    def __init__(self, data, *, fields: list[tuple[str, str]]):
        default = figures.Period.default()
        field = figures.DEFAULT_FIELD if any(key == figures.DEFAULT_FIELD for key, _l in fields) else fields[0][0]
        merged = {"start": default.start.isoformat(), "end": default.end.isoformat(), "field": field}
        merged.update({k: v for k, v in data.items() if k in merged and v})
        super().__init__(merged)
        self.fields["field"].choices = fields

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end date must not be before the start date."))
            elif (end - start).days + 1 > figures.MAX_DAYS:
                self.add_error("start", _("Choose at most %(days)d days.") % {"days": figures.MAX_DAYS})
        return cleaned

    @property
    def period(self) -> figures.Period:
        return figures.Period(self.cleaned_data["start"], self.cleaned_data["end"])


def _reports_url(customer, params=None) -> str:
    url = reverse("enterprise_portal:reports", kwargs={"customer_uuid": customer.uuid})
    return f"{url}?{urlencode(params)}" if params else url


def _bucket_label(day: datetime.date, granularity: str) -> str:
    if granularity == "month":
        return day.strftime("%Y-%m")
    return day.isoformat()


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f} %"


def _rolled_up(customer, period, refresh):
    """The timeline and the course rates: they read only ``ReportDay`` rows, which change only when
    the figures are refreshed, so they are cached under the refresh's time (exact, never stale)."""
    if refresh is None:
        return figures.timeline(customer, period), figures.course_rates(customer, period)
    key = f"enterprise-portal-report:{customer.pk}:{refresh.refreshed_at.isoformat()}:{period.start}:{period.end}"
    found = cache.get(key)
    if found is None:
        found = (figures.timeline(customer, period), figures.course_rates(customer, period))
        cache.set(key, found, CACHE_SECONDS)
    return found


def _learners_by_field(customer, key, refresh) -> tuple[list, datetime.datetime | None]:
    """Learners by the field's values: as counted by the last refresh (a few ``ReportFieldCount``
    rows, cached under the refresh's time like the rolled-up figures), else live (a ``GROUP BY`` over
    every linked learner) and cached ``LIVE_CACHE_SECONDS``: before a first refresh, or for a field
    the refresh did not count (decision 0450). Returns the counts and the time they were counted
    at (None: live)."""
    if refresh is not None:
        stored_key = f"enterprise-portal-report-learners:{customer.pk}:{refresh.refreshed_at.isoformat()}:{key}"
        stored = cache.get(stored_key)
        if stored is None:
            stored = figures.stored_learners_by_field(customer, key) or False  # False: not counted
            cache.set(stored_key, stored, CACHE_SECONDS)
        if stored is not False:
            return stored, refresh.refreshed_at
    cache_key = f"enterprise-portal-learners-by:{customer.pk}:{key}"
    found = cache.get(cache_key)
    if found is None:
        found = figures.learners_by_field(customer, key)
        cache.set(cache_key, found, LIVE_CACHE_SECONDS)
    return found, None


@require_safe
@portal_view
def dashboard(request, customer_uuid, *, customers):
    customer = customer_of(customers, customer_uuid)
    fields = figures.grouping_fields(customer)
    form = ReportFilterForm(request.GET, fields=fields)
    context = {"customer": customer, "customers": customers, "form": form, "section": "reports"}
    if not form.is_valid():
        return TemplateResponse(request, "enterprise_portal/reports.html", context, status=400)
    period, key = form.period, form.cleaned_data["field"]
    refresh = ReportRefresh.objects.filter(customer_id=customer.pk).first()
    points, rates = _rolled_up(customer, period, refresh)
    groups, learners_as_of = _learners_by_field(customer, key, refresh)
    sent = figures.deliveries(customer, period)
    kind = period.granularity
    buckets = [_bucket_label(point.bucket, kind) for point in points]
    field_label = dict(fields)[key]
    params = {"start": period.start.isoformat(), "end": period.end.isoformat(), "field": key}
    context.update(
        {
            "period": period,
            "granularity": {"day": _("per day"), "week": _("per week"), "month": _("per month")}[kind],
            "refresh": refresh,
            "field_label": field_label,
            "learners_as_of": learners_as_of,
            "rates": rates,
            "groups": [(figures.field_label(group.value, group.other), group) for group in groups],
            "totals": {
                "enrolled": sum(p.enrolled for p in points),
                "completed": sum(p.completed for p in points),
                "sent": sum(d.sent for d in sent),
                "failed": sum(d.failed for d in sent),
                "learners": sum(g.learners for g in groups),
            },
            "timeline_chart": charts.columns(
                buckets,
                [
                    (_("enrollments"), charts.BLUE, [p.enrolled for p in points]),
                    (_("completions"), charts.GREEN, [p.completed for p in points]),
                ],
            ).svg("enrollments-title"),
            "timeline_table": charts.table(
                [_("From"), _("Enrollments"), _("Completions")],
                [(label, p.enrolled, p.completed) for label, p in zip(buckets, points, strict=True)],
            ),
            "courses_chart": charts.rows(
                [(rate.title, rate.rate, f"{_percent(rate.rate)} of {rate.enrolled:,}") for rate in rates],
                colour=charts.GREEN,
                scale=1.0,
            ).svg("courses-title"),
            "learners_chart": charts.rows(
                [(figures.field_label(g.value, g.other), g.learners, f"{g.learners:,}") for g in groups]
            ).svg("learners-title"),
            "deliveries_chart": charts.columns(
                buckets,
                [
                    (_("delivered"), charts.GREEN, [d.sent for d in sent]),
                    (_("failed"), charts.RED, [d.failed for d in sent]),
                ],
            ).svg("deliveries-title"),
            "deliveries_table": charts.table(
                [_("From"), _("Delivered"), _("Failed")],
                [(label, d.sent, d.failed) for label, d in zip(buckets, sent, strict=True)],
            ),
            "export_urls": {
                name: reverse("enterprise_portal:reports_export", kwargs={"customer_uuid": customer.uuid, "name": name})
                + "?"
                + urlencode(params)
                for name in EXPORTS
            },
            "can_refresh": refresh is None or refresh.refreshed_at <= timezone.now() - REFRESH_INTERVAL,
        }
    )
    return TemplateResponse(request, "enterprise_portal/reports.html", context)


@require_safe
@portal_view
def export(request, customer_uuid, name, *, customers):
    """One chart's figures as CSV, every row (no "other" folding, all courses), the dashboard's filters."""
    customer = customer_of(customers, customer_uuid)
    if name not in EXPORTS:
        raise Http404(_("No such report."))
    fields = figures.grouping_fields(customer)
    form = ReportFilterForm(request.GET, fields=fields)
    if not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(messages_)}" for field, messages_ in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    period, key = form.period, form.cleaned_data["field"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"{name}-{customer.slug}-{period.start}-{period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # UTF-8 BOM: spreadsheets read the accents right
    writer = csv.writer(response, lineterminator="\r\n")
    if name == "enrollments":
        writer.writerow([period.granularity, "enrollments", "completions"])
        writer.writerows((p.bucket.isoformat(), p.enrolled, p.completed) for p in figures.timeline(customer, period))
    elif name == "courses":
        writer.writerow(["course_id", "course", "enrollments", "completed", "completion_rate"])
        writer.writerows(
            (escape_cell(r.course_id), escape_cell(r.title), r.enrolled, r.completed, f"{r.rate:.4f}")
            for r in figures.course_rates(customer, period, limit=None)
        )
    elif name == "learners":
        writer.writerow([key, "learners"])
        writer.writerows(
            (escape_cell(g.value), g.learners) for g in figures.learners_by_field(customer, key, limit=None)
        )
    else:
        writer.writerow([period.granularity, "delivered", "failed"])
        writer.writerows((d.bucket.isoformat(), d.sent, d.failed) for d in figures.deliveries(customer, period))
    return response


@require_POST
@portal_view
def refresh(request, customer_uuid, *, customers):
    """Ask for fresh figures (the ``refresh_reports`` task: on a worker, or at once without a broker);
    refused within ``REFRESH_INTERVAL`` of the last refresh."""
    from enterprise.portal.tasks import refresh_customer_reports

    customer = customer_of(customers, customer_uuid)
    last = ReportRefresh.objects.filter(customer_id=customer.pk).values_list("refreshed_at", flat=True).first()
    if last is not None and last > timezone.now() - REFRESH_INTERVAL:
        messages.error(request, _("The figures were refreshed less than 5 minutes ago: try again later."))
    else:
        refresh_customer_reports.delay(customer.pk)
        messages.success(request, _("The figures are being refreshed."))
    keep = {k: request.POST[k] for k in ("start", "end", "field") if request.POST.get(k)}
    return HttpResponseRedirect(_reports_url(customer, keep))
