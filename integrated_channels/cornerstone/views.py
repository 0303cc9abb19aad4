"""The two pages Cornerstone uses: the course list it polls, and the launch of a course by a learner."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from integrated_channels.cornerstone import services
from integrated_channels.cornerstone.models import CornerstoneConfiguration
from integrated_channels.integrated_channel.exporters.mapping import course_url


@require_safe
@never_cache
def course_list(request):
    """``GET /cornerstone/course-list?ciid=<customer uuid>[&name=<connection>][&count=N]``, HTTP Basic."""
    ciid = request.GET.get("ciid", "")
    name = request.GET.get("name", "")
    configuration = services.polling_connection(
        ciid=ciid, name=name, authorization=request.headers.get("Authorization", "")
    )
    if configuration is None:
        response = JsonResponse({"message": "Authentication required."}, status=401)
        response["WWW-Authenticate"] = 'Basic realm="course-list"'
        return response
    try:
        count = int(request.GET.get("count", services.MAX_COUNT))
    except ValueError:
        return HttpResponseBadRequest("count must be a number")
    since_epoch = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    since = None
    if since_epoch is not None:
        since = datetime.datetime.fromtimestamp(since_epoch, tz=datetime.UTC)
    base = request.build_absolute_uri(reverse("cornerstone:launch"))

    def launch_url(course_id: str) -> str:
        return f"{base}?{urlencode({'ciid': ciid, 'name': configuration.name, 'course': course_id})}"

    result = services.course_list(configuration, launch_url=launch_url, since=since, count=count)
    if since is not None and not result.entries:
        return HttpResponse(status=304)
    response = JsonResponse(result.entries, safe=False)
    if result.last_modified is not None:
        response["Last-Modified"] = http_date(result.last_modified.timestamp())
    return response


@require_safe
@login_required
def launch(request):
    """A learner arrives from Cornerstone: keep their session for the completion, then open the course."""
    try:
        configuration = CornerstoneConfiguration.objects.get(
            customer__uuid=request.GET.get("ciid", ""),
            name=request.GET.get("name") or CornerstoneConfiguration.DEFAULT_NAME,
            active=True,
        )
    except (CornerstoneConfiguration.DoesNotExist, ValidationError, ValueError):
        return HttpResponseForbidden("Unknown Cornerstone connection.")
    course_id = request.GET.get("course", "")
    if not course_id:
        return HttpResponseBadRequest("No course.")
    try:
        services.record_launch(configuration, user=request.user, course_id=course_id, params=request.GET)
    except services.CornerstoneRefused as exc:
        return HttpResponseForbidden(exc.message)
    return HttpResponseRedirect(course_url(course_id))
