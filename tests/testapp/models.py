"""Models that exist only for the tests of reusable pieces (fields, admin widgets)."""

from django.db import models

from enterprise.fields import EncryptedTextField


class SecretHolder(models.Model):
    name = models.CharField(max_length=50)
    secret = EncryptedTextField()
    optional_secret = EncryptedTextField(blank=True)

    class Meta:
        app_label = "testapp"
