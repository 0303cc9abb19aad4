"""OAuth 2 access tokens of remote systems, kept between calls, runs and processes, encrypted at rest.

The one token store (``enterprise.transports.oauth2``, decisions 0023 and 0183) keeps here every
client-credentials token of the project: the channels' (SAP SuccessFactors, future connectors)
and the Open edX backends'. One row per ``key``: a hash of whom the token is for (the owner —
e.g. ``channel:3`` for a channel configuration — or else the token endpoint and client id, and
the subject: "" for the client's own identity, a learner's remote id for per-learner tokens).
``credentials_digest`` hashes everything the token was issued for (endpoint, client id, secret,
scope): when an operator changes one, the old token no longer matches and is never used again.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField


class AccessToken(models.Model):
    key = models.CharField(max_length=64, unique=True)
    owner = models.CharField(
        max_length=100, blank=True, db_index=True, help_text=_("What the token belongs to (removed with it).")
    )
    subject = models.CharField(max_length=255, blank=True)
    credentials_digest = models.CharField(max_length=64)
    token = EncryptedTextField()
    token_type = models.CharField(max_length=20, default="Bearer")
    expires_at = models.DateTimeField(help_text=_("When the token stops being used (its lifetime minus a margin)."))
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self):
        return f"token of {self.owner or '-'}/{self.subject or '-'} until {self.expires_at:%Y-%m-%d %H:%M}"
