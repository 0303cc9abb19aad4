"""The client address behind a reverse proxy, and the page a locked-out login gets (decision 0163).

Settings (environment): LOGIN_FAILURE_LIMIT, LOGIN_COOLOFF_MINUTES, LOGIN_CLIENT_IP_HEADER,
LOGIN_TRUSTED_PROXY_COUNT; see docs/settings.md.
"""

from __future__ import annotations

import ipaddress
import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, behind ``LOGIN_TRUSTED_PROXY_COUNT`` reverse
    proxies that append to ``LOGIN_CLIENT_IP_HEADER`` (e.g. X-Forwarded-For), the address the
    farthest trusted proxy saw. Addresses the client put in the header itself are never used, so a
    forged header cannot move an attacker to a fresh counter."""
    remote = _address(request.META.get("REMOTE_ADDR", "")) or None
    header = settings.LOGIN_CLIENT_IP_HEADER
    if not header:
        return remote
    key = "HTTP_" + header.upper().replace("-", "_")
    hops = [hop for hop in request.META.get(key, "").split(",") if hop.strip()]
    count = settings.LOGIN_TRUSTED_PROXY_COUNT
    if count < 1 or len(hops) < count:
        return remote  # not sent through the proxies: the direct peer is the client
    return _address(hops[-count]) or remote


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After and a page saying when to try again (the admin's look)."""
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else None
    response = render(
        request,
        "registration/login_locked_out.html",
        {"title": "Too many failed logins", "minutes": minutes, "site_header": "Enterprise administration"},
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
