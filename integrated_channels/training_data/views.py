"""The public catalog API: unauthenticated, read-only, cached, rate-limited, CORS for allowed origins.

Thin: parse the query (strictly: anything unknown or malformed is a 400), call ``services.catalog_page``,
render. Nothing here reads learner data: the read model holds none (decision 0321).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from integrated_channels.training_data import services
from integrated_channels.training_data.serializers import CatalogPageSerializer, CatalogQuerySerializer

CACHE_SECONDS = 300
PREFLIGHT_SECONDS = 600
ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
ALLOWED_REQUEST_HEADERS = {"if-none-match", "accept", "accept-language", "content-language"}


class PerClientThrottle(SimpleRateThrottle):
    """Requests per client address (behind a proxy: settings NUM_PROXIES, as DRF reads X-Forwarded-For)."""

    scope = "public_catalog"

    def get_rate(self):
        return getattr(settings, "TRAINING_DATA_PUBLIC_RATE", "120/min")

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class PublicCatalogView(APIView):
    """The courses and programs of a customer's public catalog: search, filters, facets, pages."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PerClientThrottle]

    def initial(self, request, *args, **kwargs):
        # the customer, its origins and the read model's version: kept in the cache (services.public_state)
        self.state = services.public_state(kwargs["customer_slug"])
        if self.state is None:  # unknown or inactive customer, or no active connection: no public catalog
            raise Http404
        self.origins = self.state.origins
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin")
        refused_preflight = request.method == "OPTIONS" and response.status_code >= 400
        if origin and origin in (getattr(self, "origins", None) or []) and not refused_preflight:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "ETag"
        response["Vary"] = "Origin"
        return response

    def options(self, request, *args, **kwargs):
        """CORS preflight: allowed only from an allow-listed origin, for GET or HEAD."""
        origin = request.headers.get("Origin")
        method = request.headers.get("Access-Control-Request-Method")
        if origin is None or method is None:
            return Response(status=status.HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(ALLOWED_METHODS)})
        asked = {
            h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",") if h.strip()
        }
        if origin not in self.origins or method not in ("GET", "HEAD") or not asked <= ALLOWED_REQUEST_HEADERS:
            raise PermissionDenied("This origin, method or header may not read the catalog.")
        headers = {
            "Access-Control-Allow-Methods": "GET, HEAD",
            "Access-Control-Max-Age": str(PREFLIGHT_SECONDS),
        }
        if asked:
            headers["Access-Control-Allow-Headers"] = ", ".join(sorted(asked))
        return Response(status=status.HTTP_204_NO_CONTENT, headers=headers)

    @extend_schema(parameters=[CatalogQuerySerializer], responses={200: CatalogPageSerializer, 304: None})
    def get(self, request, customer_slug):
        params = _checked_names(request)
        # A page is kept rendered with its ETag under the query as sent (the read model's version in the
        # key: it changes only when a build replaces it): a hit validates, serializes and renders nothing.
        key = _page_key(self.state.customer_id, self.state.version, params)
        kept = django_cache.get(key)
        if kept is None:
            query = _validated(params)
            etag = _etag(self.state.customer_id, self.state.version, query)
            if etag in _if_none_match(request):
                return _not_modified(etag)
            data = CatalogPageSerializer(services.catalog_page(self.state.customer_id, **query)).data
            kept = (etag, JSONRenderer().render(data))
            django_cache.set(key, kept, CACHE_SECONDS)
        etag, body = kept
        if etag in _if_none_match(request):
            return _not_modified(etag)
        return HttpResponse(body, content_type="application/json", headers=_caching(etag))


#: the query parameters of the API (the serializer's fields, read once)
PARAMETERS = frozenset(CatalogQuerySerializer._declared_fields)


def _checked_names(request) -> dict[str, str]:
    """The query's parameters, each known and given once (else a 400)."""
    params = request.query_params
    unknown = sorted(set(params) - PARAMETERS)
    repeated = sorted(name for name in params if len(params.getlist(name)) > 1)
    if unknown or repeated:
        detail = dict.fromkeys(unknown, "Not a parameter of this API.")
        detail.update(dict.fromkeys(repeated, "Give this parameter once."))
        raise ValidationError(detail, code="invalid")
    return params.dict()


def _validated(params: dict[str, str]) -> dict:
    serializer = CatalogQuerySerializer(data=params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _page_key(customer_id, version, params: dict[str, str]) -> str:
    raw = repr((customer_id, version, sorted(params.items())))
    return "training-data:page:" + hashlib.sha256(raw.encode()).hexdigest()


def _caching(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": f"public, max-age={CACHE_SECONDS}"}


def _not_modified(etag: str) -> Response:
    return Response(status=status.HTTP_304_NOT_MODIFIED, headers=_caching(etag))


def _etag(customer_id, version, query: dict) -> str:
    key = repr((customer_id, version, sorted((k, str(v)) for k, v in query.items())))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def _if_none_match(request) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
