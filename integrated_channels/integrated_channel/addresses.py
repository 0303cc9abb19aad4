"""The remote addresses a customer's administrators set, and where the stored secrets may go.

A configuration's endpoints, WSDL location and SFTP host are typed by a customer's
administrator, who is not trusted with this platform's network: an address must be ``https://``
(``http://`` only when ``ALLOW_HTTP``), never a file path, and must not name or resolve to a
loopback, link-local, private or otherwise non-public address unless the operator allowed it
(``ALLOWED_ADDRESSES``). It is checked when the configuration is saved (model ``clean``, the API
serializer) and again for every connection (``transports.guard``): the host is resolved then,
so a name that later resolves to a private address (DNS rebinding) is refused too, and the
connection is made to the address that was checked (decision 0151).

Messages never say more than "the address is not allowed": what the host resolved to is written
to the server log for the operators, not shown to the customer.

When the host that receives a configuration's secrets changes, the secrets must be entered
again: a stored secret is never sent to a host it was not typed for (decision 0152).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import urllib.parse
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.app_settings import address_settings
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError

logger = logging.getLogger(__name__)

NOT_ALLOWED = _("This address is not allowed: give the address of a server reachable on the internet.")
HTTPS_ONLY = _("Give an https:// URL.")
NO_CREDENTIALS = _("Give the user name and password in their own fields, not in the URL.")
REENTER = _(
    "The host this configuration sends its credentials to changed: enter this secret again (a stored secret is "
    "never sent to a new host)."
)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ChannelConfigurationError):
    """A connection to an address that is not allowed was refused (the detail is in the server log)."""

    code = "address_refused"
    default_message = "The remote address is not allowed: nothing was sent."


# The policy


def _allowed_entries() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names, networks = set(), []
    for entry in address_settings.ALLOWED_ADDRESSES or ():
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            names.add(str(entry).strip().lower().rstrip("."))
    return names, networks


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def ip_allowed(ip: IPAddress) -> bool:
    """A public address, or one in an allowed network."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    _names, networks = _allowed_entries()
    if any(ip in network for network in networks):
        return True
    return ip.is_global and not ip.is_multicast


def host_allowed_by_name(host: str) -> bool:
    names, _networks = _allowed_entries()
    return host.lower().rstrip(".") in names


def resolve(host: str, port: int) -> list[tuple]:
    """``getaddrinfo`` of ``host`` when every address it resolves to is allowed, else ``AddressRefused``.

    ``socket.gaierror`` when the name does not resolve (the caller reports that as it would).
    """
    if not host:
        raise AddressRefused()
    infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    if host_allowed_by_name(host):
        return infos
    refused = sorted({info[4][0] for info in infos if not ip_allowed(ipaddress.ip_address(info[4][0].split("%")[0]))})
    if refused or not infos:
        logger.warning("Refused a connection to %s port %s: it resolves to %s", host, port, ", ".join(refused))
        raise AddressRefused()
    return infos


def host_error(host: str) -> str | None:
    """Why a configuration may not point at ``host`` (None: it may). A name that does not resolve now
    is accepted: it is checked again when a connection is made."""
    host = (host or "").strip()
    if not host:
        return None
    if host_allowed_by_name(host):
        return None
    ip = _literal(host)
    if ip is not None:
        return None if ip_allowed(ip) else str(NOT_ALLOWED)
    if "/" in host or "\\" in host or any(char.isspace() for char in host):
        return str(NOT_ALLOWED)
    try:
        resolve(host, 0)
    except AddressRefused:
        return str(NOT_ALLOWED)
    except (OSError, UnicodeError):
        return None
    return None


def url_error(url: str) -> str | None:
    """Why a configuration may not hold the remote URL ``url`` (None: it may; blank is the field's business)."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if not scheme_allowed(url) or not parts.hostname:
        return str(HTTPS_ONLY)
    if parts.username is not None or parts.password is not None:
        return str(NO_CREDENTIALS)
    try:
        parts.port  # noqa: B018 (a malformed port raises)
    except ValueError:
        return str(HTTPS_ONLY)
    return host_error(parts.hostname)


def scheme_allowed(url: str) -> bool:
    scheme = urllib.parse.urlsplit(url or "").scheme.lower()
    return scheme == "https" or (scheme == "http" and bool(address_settings.ALLOW_HTTP))


def check_url(url: str) -> None:
    """``AddressRefused`` unless ``url`` is an allowed remote URL (used just before a connection)."""
    if url_error(url) is not None:
        logger.warning("Refused a connection to %r: not an allowed remote URL", url)
        raise AddressRefused()


def configuration_errors(configuration, values: dict | None = None) -> dict[str, str]:
    """``{field: message}`` of the configuration's remote addresses that are not allowed.

    ``values`` (a serializer's input) is read before the instance's own attributes.
    """
    values = values or {}
    errors = {}
    for name in configuration.REMOTE_URL_FIELDS:
        if (error := url_error(values.get(name, getattr(configuration, name, "")))) is not None:
            errors[name] = error
    for name in configuration.REMOTE_HOST_FIELDS:
        if (error := host_error(values.get(name, getattr(configuration, name, "")))) is not None:
            errors[name] = error
    return errors


# Where the secrets go


def _destination(value, *, url: bool) -> str:
    if not url:
        return str(value or "").strip().lower().rstrip(".")
    parts = urllib.parse.urlsplit(str(value or "").strip())
    try:
        port = parts.port
    except ValueError:
        port = None
    default = {"https": 443, "http": 80}.get(parts.scheme.lower())
    return f"{(parts.hostname or '').rstrip('.')}:{port or default}"


def destination(configuration, values: dict | None = None) -> tuple[str, ...]:
    """Where the configuration's secrets are sent: the host (and port) of each ``CREDENTIALS_SENT_TO`` field."""
    values = values or {}
    return tuple(
        _destination(values.get(name, getattr(configuration, name, "")), url=name in configuration.REMOTE_URL_FIELDS)
        for name in configuration.CREDENTIALS_SENT_TO
    )


def reentry_errors(stored, values: dict, entered: Iterable[str], secret_fields: Iterable[str]) -> dict[str, str]:
    """``{secret field: message}`` for each stored secret not typed again while its destination changes.

    ``stored`` is the configuration as saved (None for a new one: nothing to protect), ``values`` the
    new field values, ``entered`` the secret fields given a new (non-blank) value in this request.
    """
    if stored is None or not stored.pk or not stored.CREDENTIALS_SENT_TO:
        return {}
    if destination(stored) == destination(stored, values):
        return {}
    entered = set(entered)
    return {name: str(REENTER) for name in secret_fields if getattr(stored, name, "") and name not in entered}
