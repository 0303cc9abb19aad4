"""Access tokens of channels, kept between runs and processes, encrypted at rest (decision 0023).

One row per (configuration, subject): the subject is "" for the configuration's own identity and
the learner's remote id for per-learner tokens (SAP SuccessFactors user mode). ``credentials_digest``
is a hash of what the token was issued for (endpoint, client id, secret, scope): when an operator
changes the configuration, the old token no longer matches and is never used again.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models.configuration import ChannelConfiguration


class AccessToken(models.Model):
    configuration = models.ForeignKey(ChannelConfiguration, on_delete=models.CASCADE, related_name="access_tokens")
    subject = models.CharField(max_length=255, blank=True)
    credentials_digest = models.CharField(max_length=64)
    token = EncryptedTextField()
    expires_at = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "subject"], name="access_token_one_per_subject"),
        ]

    def __str__(self):
        return f"token of {self.configuration_id}/{self.subject or '-'} until {self.expires_at:%Y-%m-%d %H:%M}"
