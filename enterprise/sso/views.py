"""SAML endpoints: SP metadata, sign-in start and the assertion consumer service. Thin: parse, call, render.

``saml`` and ``services`` (python3-saml, xmlsec, lxml: ~6 MB) are imported by the first SAML request,
not with the URLconf, so the processes that never sign anyone in stay without them (decision 0575).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import load_backend, login
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from enterprise.exceptions import AmbiguousEmail, EnterpriseError, LinkConflict
from enterprise.sso.app_settings import sso_settings
from enterprise.sso.exceptions import SSOError

logger = logging.getLogger(__name__)


def safe_redirect_url(request, url: str | None) -> str:
    """``url`` if it stays on this site or an allow-listed host, else ``LOGIN_REDIRECT_URL``."""
    allowed_hosts = {request.get_host(), *sso_settings.ALLOWED_REDIRECT_HOSTS}
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts=allowed_hosts, require_https=request.is_secure()):
        return url
    return sso_settings.LOGIN_REDIRECT_URL


def _error_page(request, exc: EnterpriseError, *, provider_id: str):
    if isinstance(exc, LinkConflict):
        status, title = 403, "Your account belongs to another organisation"
    elif isinstance(exc, AmbiguousEmail):
        status, title = 409, "Several accounts use your e-mail address"
    else:
        status = getattr(exc, "status_code", 400)
        title = "Single sign-on failed"
    logger.warning("SSO through %s refused (%s): %s", provider_id, exc.code, exc.message)
    context = {"title": title, "message": exc.message, "code": exc.code, "provider_id": provider_id}
    return render(request, "enterprise_sso/error.html", context, status=status)


@require_GET
def metadata(request, provider_id: str):
    from enterprise.sso import saml, services  # imported when a SAML request needs them (decision 0575)

    try:
        config = services.get_config(provider_id=provider_id)
        xml = saml.sp_metadata(config, saml.ServiceProvider.for_request(request))
    except SSOError as exc:
        return _error_page(request, exc, provider_id=provider_id)
    return HttpResponse(xml, content_type="application/samlmetadata+xml")


@require_GET
def login_start(request, provider_id: str):
    from enterprise.sso import services  # imported when a SAML request needs it (decision 0575)

    next_url = safe_redirect_url(request, request.GET.get("next"))
    try:
        config = services.get_config(provider_id=provider_id)
        start = services.start_login(config=config, request=request, relay_state=next_url)
    except SSOError as exc:
        return _error_page(request, exc, provider_id=provider_id)
    return HttpResponseRedirect(start.redirect_url)


def _session_backend() -> str:
    """The first authentication backend that can load the user back from the session: not a guard
    placed first that only refuses logins, such as django-axes's (decision 0163)."""
    for path in settings.AUTHENTICATION_BACKENDS:
        if hasattr(load_backend(path), "get_user"):
            return path
    return settings.AUTHENTICATION_BACKENDS[0]


@csrf_exempt  # the IdP posts cross-site; the signed, single-use assertion is the proof
@require_POST
def assertion_consumer(request, provider_id: str):
    from enterprise.sso import services  # imported when a SAML request needs it (decision 0575)

    try:
        config = services.get_config(provider_id=provider_id)
        result = services.finish_login(config=config, request=request)
    except EnterpriseError as exc:
        return _error_page(request, exc, provider_id=provider_id)
    login(request, result.user, backend=_session_backend())
    return HttpResponseRedirect(safe_redirect_url(request, result.relay_state))
