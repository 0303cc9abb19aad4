"""Model fields of this package."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise import encryption


class EncryptedTextField(models.TextField):
    """Text stored encrypted (Fernet, see ``enterprise.encryption``); plain text in Python.

    The stored token differs at every save, so the field cannot be filtered on. Empty values are
    stored as the empty string, unencrypted. Use ``SecretWidget`` / ``SecretField`` in forms so
    the admin never shows the value back.
    """

    def formfield(self, **kwargs):
        # Always the password input: the admin passes its own textarea for text fields, which
        # would render the stored secret in clear.
        kwargs["widget"] = forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "new-password", "placeholder": _("Stored encrypted. Type to replace.")},
        )
        kwargs["required"] = False  # blank keeps the stored value; the model still refuses a blank new one
        kwargs.setdefault("help_text", self.help_text or _("Stored encrypted; never shown. Leave blank to keep."))
        return super().formfield(**kwargs)

    def save_form_data(self, instance, data):
        if data in (None, ""):
            if getattr(instance, self.attname):
                return  # a blank input keeps the stored secret
            if not self.blank:  # ModelForm reports this on the field (construct_instance)
                raise ValidationError({self.name: self.error_messages["blank"]}, code="blank")
        super().save_form_data(instance, data)

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return encryption.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return encryption.encrypt(value)


def encrypted_fields():
    """Every (model, field name) pair of installed apps that uses ``EncryptedTextField``."""
    from django.apps import apps

    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def encrypted_field_names(model) -> list[str]:
    """The names of ``model``'s ``EncryptedTextField`` fields (its secrets), in declaration order."""
    return [field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedTextField)]
