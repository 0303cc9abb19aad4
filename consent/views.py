"""The learner-facing consent page: grant or decline data sharing for one course of one customer.

``GET /consent/?enterprise_customer_uuid=…&course_id=…&next=…&failure_url=…`` shows the page;
the form posts back to the same address. ``next`` (after granting) and ``failure_url`` (after
declining) are followed only when they point at this host or an allowed one
(``CONSENT["REDIRECT_ALLOWED_HOSTS"]``). Only a linked learner of the customer answers (decision
0052): anyone else, and an unknown customer, get the same refusal page (404), and nothing is recorded.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from consent.app_settings import consent_settings
from consent.exceptions import NotALearner
from consent.forms import ConsentForm
from consent.models import DataSharingConsent
from consent.policy import policy_for
from consent.services import learner_customer, record_learner_consent
from enterprise.exceptions import CourseNotFound
from enterprise.lms import get_catalog


def safe_redirect_url(request, url: str | None) -> str:
    """``url`` when it points at this host or an allowed one, else the configured default ("" for none)."""
    allowed = {request.get_host(), *consent_settings.REDIRECT_ALLOWED_HOSTS}
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=allowed, require_https=request.is_secure()):
        return url
    return consent_settings.DEFAULT_REDIRECT_URL


@login_required
@require_http_methods(["GET", "POST"])
def consent_page(request):
    data = request.POST if request.method == "POST" else request.GET
    form = ConsentForm(data, initial={"answer": ConsentForm.GRANT})
    form.is_valid()  # ``answer`` is absent on GET; the identifying fields are checked below
    if "enterprise_customer_uuid" in form.errors or "course_id" in form.errors:
        raise Http404("Missing or invalid enterprise_customer_uuid or course_id.")
    try:
        customer = learner_customer(user=request.user, customer_id=form.cleaned_data["enterprise_customer_uuid"])
    except NotALearner as exc:
        return _refused(request, exc)
    if not customer.active:
        raise Http404("This customer is not active.")
    course_id = form.cleaned_data["course_id"]
    try:
        course = get_catalog().get_course(course_id)
    except CourseNotFound as exc:
        raise Http404(str(exc)) from exc
    policy = policy_for(customer)
    context = {
        "customer": customer,
        "course": course,
        "policy": policy,
        "form": form,
        "next_url": safe_redirect_url(request, form.cleaned_data.get("next")),
        "failure_url": safe_redirect_url(request, form.cleaned_data.get("failure_url")),
    }
    if request.method == "POST" and policy.asks_learners and "answer" in form.cleaned_data:
        granted = form.cleaned_data["answer"] == ConsentForm.GRANT
        try:
            record_learner_consent(user=request.user, customer_id=customer.pk, course_id=course_id, granted=granted)
        except NotALearner as exc:  # unlinked since the page was shown
            return _refused(request, exc)
        target = context["next_url"] if granted else context["failure_url"]
        if target:
            return HttpResponseRedirect(target)
        return render(request, "consent/consent_recorded.html", {**context, "granted": granted})
    current = (
        DataSharingConsent.objects.filter(customer=customer, user=request.user, course_id=course_id)
        .values_list("granted", flat=True)
        .first()
    )
    status = 400 if request.method == "POST" and policy.asks_learners else 200
    return render(request, "consent/consent_page.html", {**context, "current": current}, status=status)


def _refused(request, exc: NotALearner):
    """The page for a user who is not a learner of the customer (without its name: not theirs to know)."""
    return render(request, "consent/consent_refused.html", {"code": exc.code}, status=404)
