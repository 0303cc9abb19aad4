"""Connections only to allowed addresses, checked when each connection is made (decision 0151).

``guarded_session()`` is a ``requests.Session`` whose connections resolve their host, refuse it
(``addresses.AddressRefused``) when any address it resolves to is not allowed, and connect to
the address that was checked — a name cannot resolve to a public address for the check and to a
private one for the connection (DNS rebinding). TLS still verifies the certificate against the
host name. Redirects followed by the session go through the same check.
"""

from __future__ import annotations

import logging
import os
import socket

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError

from integrated_channels.integrated_channel import addresses

logger = logging.getLogger(__name__)


class _CheckedAddress:
    """Connect to the first checked address of the host instead of resolving it again."""

    def _new_conn(self):
        try:
            infos = addresses.resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        host = self._dns_host
        try:
            self._dns_host = infos[0][4][0]
            return super()._new_conn()
        finally:
            self._dns_host = host


class GuardedHTTPConnection(_CheckedAddress, HTTPConnection):
    pass


class GuardedHTTPSConnection(_CheckedAddress, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections go only to allowed addresses (https unless http is allowed)."""

    def send(self, request, *args, **kwargs):
        if not addresses.scheme_allowed(request.url):
            logger.warning("Refused a request to %r: http is not allowed (ALLOW_HTTP)", request.url)
            raise addresses.AddressRefused()
        return super().send(request, *args, **kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        # Through a proxy the proxy makes the connection: the remote address could not be checked.
        raise addresses.AddressRefused("Connections through a proxy are not supported for remote systems.")


def guard(session: requests.Session) -> requests.Session:
    """Mount the guarded adapter on ``session`` for http and https; the session is returned.

    The session does not read the environment on each request (``trust_env = False``): requests
    would otherwise look up the proxy settings (``urllib.request.getproxies``, the no-proxy list),
    ``~/.netrc`` and the CA bundle variables for every call, and a proxy is refused here anyway.
    The CA bundle an operator names (``REQUESTS_CA_BUNDLE``, else ``CURL_CA_BUNDLE``) is read once,
    now, and kept as the session's ``verify``; no credentials are read from ``~/.netrc``.
    """
    session.trust_env = False
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    adapter = GuardedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def guarded_session() -> requests.Session:
    return guard(requests.Session())
