"""Secrets out of every text a remote system or a failure can produce (decision 0150).

A remote system may echo what it received — the request's headers, its body, its URL — in an
error answer, a SOAP fault or a connection error; that text then reaches run errors, audit rows,
error reports and logs. A ``Redactor`` knows the secrets in use (a configuration's stored
secrets, the access tokens of the moment) and replaces each of them in every encoding it can take
on the way out:

- as typed;
- Base64 (standard and URL-safe, with or without padding, of UTF-8 and Latin-1) of the secret alone and of
  ``user:secret`` for every user it goes with (HTTP Basic auth: an LRS key and secret, an OAuth
  client id and secret, an SFTP or SIS user name and password), and of ``secret:other`` when two
  secrets go together;
- URL-encoded (``%XX``, ``+`` for spaces, either case of the hex digits);
- JSON-escaped (``\\uXXXX`` and ``\\/`` forms too), Python ``repr``-escaped, XML/HTML-escaped.

Whatever the secrets, a credential in an ``Authorization``-style form (``Basic …``,
``Bearer …``, ``JWT …``) and the password of a URL (``redis://:password@host``) are replaced
too: no message has a reason to carry one.
"""

from __future__ import annotations

import base64
import html
import json
import re
import urllib.parse
from collections.abc import Iterable

REDACTED = "[redacted]"
#: Shorter values are not redacted (they would blank out ordinary words); no stored secret is that short.
MIN_SECRET_LENGTH = 4
# A scheme name then a value that looks like a credential: 6+ characters of the token alphabet with a digit,
# a + / = or an upper-case letter after the first (so prose such as "token request failed" or "Basic
# Authentication" is kept).
_CREDENTIAL = re.compile(
    r"\b((?i:Basic|Bearer|Digest|Negotiate|Token|JWT))(\s+)"
    r"(?=[0-9+/=]|[A-Za-z._~%-][a-z._~%-]*[0-9+/=A-Z])[A-Za-z0-9+/=._~%-]{6,}"
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@", re.IGNORECASE)
_PERCENT = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(text: str) -> set[str]:
    """Base64 of ``text`` in UTF-8 and, when it can be, in Latin-1 (``requests`` encodes Basic auth so)."""
    forms = set()
    for encoding in ("utf-8", "latin-1"):
        try:
            raw = text.encode(encoding)
        except UnicodeEncodeError:
            continue
        for encoded in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
            value = encoded.decode("ascii")
            forms.update((value, value.rstrip("=")))
    return forms


def _text_forms(secret: str) -> set[str]:
    """``secret`` as typed and in every escaping a message may show it in."""
    forms = {secret, html.escape(secret, quote=True), html.escape(secret, quote=False), repr(secret)[1:-1]}
    for ensure_ascii in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ensure_ascii)[1:-1]
        forms.update((escaped, escaped.replace("/", "\\/")))
    for quoted in (urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret, safe="")):
        forms.update((quoted, _PERCENT.sub(lambda match: match.group(0).lower(), quoted)))
    return forms


class Redactor:
    """Replaces the secrets it was given, in all their encodings, by ``[redacted]``.

    ``users`` are the names the secrets go with in Basic auth (``user:secret``). Secrets and
    users can be added later (``add``): a token obtained during a run is covered from then on.
    """

    def __init__(self, secrets: Iterable[str | None] = (), *, users: Iterable[str | None] = ()):
        self._secrets: set[str] = set()
        self._users: set[str] = set()
        self._forms: list[str] | None = None
        self.add(*secrets, users=users)

    def add(self, *secrets: str | None, users: Iterable[str | None] = ()) -> None:
        new_secrets = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_LENGTH}
        new_users = {u for u in users if isinstance(u, str) and u}
        if not (new_secrets - self._secrets or new_users - self._users):
            return
        self._secrets |= new_secrets
        self._users |= new_users
        self._forms = None

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._secrets)

    def __bool__(self) -> bool:
        return bool(self._secrets)

    def forms(self) -> list[str]:
        """Every string replaced, longest first (so an encoding containing another is replaced whole)."""
        if self._forms is None:
            forms: set[str] = set()
            for secret in self._secrets:
                forms |= _text_forms(secret)
                forms |= _base64_forms(secret)
                for user in self._users | self._secrets:
                    if user != secret:
                        forms |= _base64_forms(f"{user}:{secret}")
                        forms |= _base64_forms(f"{secret}:{user}")
            self._forms = sorted((form for form in forms if len(form) >= MIN_SECRET_LENGTH), key=len, reverse=True)
        return self._forms

    def __call__(self, text):
        """``text`` with every secret replaced (non-strings are returned unchanged)."""
        if not isinstance(text, str) or not text:
            return text
        for form in self.forms():
            if form in text:
                text = text.replace(form, REDACTED)
        text = _URL_PASSWORD.sub(lambda match: f"{match.group(1)}{REDACTED}@", text)
        return _CREDENTIAL.sub(lambda match: f"{match.group(1)}{match.group(2)}{REDACTED}", text)

    redact = __call__


def for_configuration(configuration) -> Redactor:
    """The redactor of a channel configuration: its stored secrets, with the users they go with."""
    secrets = configuration.secrets() if hasattr(configuration, "secrets") else []
    users = configuration.secret_users() if hasattr(configuration, "secret_users") else []
    return Redactor(secrets, users=users)


def redact(text: str, secrets: Iterable[str | None] = (), *, users: Iterable[str | None] = ()) -> str:
    """One-off redaction of ``text`` (see ``Redactor``)."""
    return Redactor(secrets, users=users)(text)


def excerpt(text: str, redactor: Redactor, length: int = 200) -> str:
    """The start of a remote answer on one line, redacted (what the remote system said)."""
    body = redactor(" ".join((text or "").split()))  # redacted whole: a cut would leave part of a secret
    return body[:length] + ("…" if len(body) > length else "") or "(empty body)"
