"""The fields of a connection an administrator authorizes in the remote system (OAuth 2 authorization code).

Canvas and Blackboard Learn give a refresh token only through a browser: an administrator of the
remote system signs in there and grants access (``services.authorization``). The refresh token is
kept encrypted and never shown; who authorized and when are shown instead. A change of the fields
that say which remote application the token belongs to (``AUTHORIZATION_FIELDS``: host, client
id) forgets it: it must be granted again.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField


class AuthorizedConnection(models.Model):
    #: Fields whose change makes the granted refresh token useless (channels set theirs).
    AUTHORIZATION_FIELDS: tuple[str, ...] = ()

    refresh_token = EncryptedTextField(
        blank=True,
        editable=False,
        help_text=_("Granted by an administrator of the remote system through Authorize; never shown."),
    )
    authorized_at = models.DateTimeField(null=True, blank=True, editable=False)
    authorized_by = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_authorized_for", None)
        if loaded is not None and loaded != self._authorization_key() and self.refresh_token:
            self.refresh_token, self.authorized_at, self.authorized_by = "", None, ""
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "refresh_token", "authorized_at", "authorized_by"}
        super().save(*args, **kwargs)
        self._authorized_for = self._authorization_key()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._authorized_for = instance._authorization_key()
        return instance

    def _authorization_key(self) -> tuple:
        return tuple(getattr(self, name, None) for name in self.AUTHORIZATION_FIELDS)

    @property
    def authorized(self) -> bool:
        return bool(self.refresh_token)
