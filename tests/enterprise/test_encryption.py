"""Secrets are encrypted at rest, rotate to a new key, and are never shown back in a form."""

import io

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from enterprise.encryption import DecryptionError
from tests.testapp.models import SecretHolder

pytestmark = pytest.mark.django_db


def stored(holder, column="secret"):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM testapp_secretholder WHERE id = %s", [holder.pk])
        return cursor.fetchone()[0]


def test_secret_is_not_stored_in_clear_and_reads_back():
    holder = SecretHolder.objects.create(name="a", secret="s3cr3t-value")
    raw = stored(holder)
    assert "s3cr3t-value" not in raw and raw.startswith("fernet:")
    assert SecretHolder.objects.get(pk=holder.pk).secret == "s3cr3t-value"


def test_same_secret_encrypts_differently_each_time():
    one = SecretHolder.objects.create(name="a", secret="same")
    two = SecretHolder.objects.create(name="b", secret="same")
    assert stored(one) != stored(two)


def test_empty_optional_secret_stays_empty():
    holder = SecretHolder.objects.create(name="a", secret="x", optional_secret="")
    assert stored(holder, "optional_secret") == ""


def test_rotation_re_encrypts_with_the_new_key(settings):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [old]}
    holder = SecretHolder.objects.create(name="a", secret="rotate-me")
    before = stored(holder)
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [new, old]}
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert stored(holder) != before
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [new]}  # the old key is gone: still readable
    assert SecretHolder.objects.get(pk=holder.pk).secret == "rotate-me"


def test_rotation_away_from_a_former_secret_key(settings, monkeypatch):
    """A host that ran on a published SECRET_KEY sets a real one and keeps its stored secrets."""
    settings.ENTERPRISE = {}
    settings.SECRET_KEY = "standalone-insecure-development-key-change-me"
    holder = SecretHolder.objects.create(name="a", secret="keep-me")
    settings.SECRET_KEY = "a-new-real-secret-key-8f1e3d5c7b9a1f3e5d7c9b1a3f5e7d9c1b3a5f7e9d"
    with pytest.raises(DecryptionError):
        SecretHolder.objects.get(pk=holder.pk)
    with pytest.raises(CommandError, match="OLD_KEY is not set"):
        call_command("rotate_encryption_keys", "--old-secret-key-env", "OLD_KEY")
    monkeypatch.setenv("OLD_KEY", "standalone-insecure-development-key-change-me")
    out = io.StringIO()
    call_command("rotate_encryption_keys", "--old-secret-key-env", "OLD_KEY", stdout=out)
    assert "value(s) re-encrypted" in out.getvalue()
    assert SecretHolder.objects.get(pk=holder.pk).secret == "keep-me"  # read with the new key alone
    assert "keep-me" not in stored(holder)


def test_a_wrong_key_is_a_typed_error_not_garbage(settings):
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [Fernet.generate_key()]}
    holder = SecretHolder.objects.create(name="a", secret="x")
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": [Fernet.generate_key()]}
    with pytest.raises(DecryptionError):
        SecretHolder.objects.get(pk=holder.pk)


def test_an_invalid_key_is_a_configuration_error(settings):
    settings.ENTERPRISE = {"ENCRYPTION_KEYS": ["not-a-key"]}
    with pytest.raises(ImproperlyConfigured, match="ENCRYPTION_KEYS"):
        SecretHolder.objects.create(name="a", secret="x")


class HolderForm(forms.ModelForm):
    class Meta:
        model = SecretHolder
        fields = ["name", "secret", "optional_secret"]


def test_form_never_renders_the_secret():
    holder = SecretHolder.objects.create(name="a", secret="do-not-show")
    html = str(HolderForm(instance=holder))
    assert "do-not-show" not in html
    assert 'type="password"' in html


def test_blank_input_keeps_the_stored_secret_and_new_input_replaces_it():
    holder = SecretHolder.objects.create(name="a", secret="keep-me")
    form = HolderForm({"name": "b", "secret": "", "optional_secret": ""}, instance=holder)
    assert form.is_valid(), form.errors
    form.save()
    assert SecretHolder.objects.get(pk=holder.pk).secret == "keep-me"
    form = HolderForm({"name": "b", "secret": "new-one", "optional_secret": ""}, instance=holder)
    assert form.is_valid(), form.errors
    form.save()
    assert SecretHolder.objects.get(pk=holder.pk).secret == "new-one"


def test_a_required_secret_cannot_be_created_blank():
    form = HolderForm({"name": "b", "secret": "", "optional_secret": ""})
    assert not form.is_valid()
    assert "secret" in form.errors


def test_admin_form_never_renders_the_secret(rf, staff_user):
    from django.contrib import admin

    holder = SecretHolder.objects.create(name="a", secret="admin-must-not-show")
    request = rf.get("/")
    request.user = staff_user
    form_class = admin.ModelAdmin(SecretHolder, admin.site).get_form(request, holder)
    html = str(form_class(instance=holder))
    assert "admin-must-not-show" not in html
    assert html.count('type="password"') == 2
