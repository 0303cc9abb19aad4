"""Uploads waiting for confirmation: signed tokens bound to a customer, expiry, clean-up."""

import datetime
import os
import time
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from enterprise.exceptions import UploadExpired
from enterprise.services import upload_store
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_round_trip_and_delete():
    customer = CustomerFactory()
    token = upload_store.save_file(ContentFile(b"a@example.com\n"), customer=customer, suffix=".csv")
    with upload_store.open_file(token, customer=customer) as file:
        assert file.read() == b"a@example.com\n"
    assert upload_store.file_size(token, customer=customer) == 14
    upload_store.delete_file(token, customer=customer)
    with pytest.raises(UploadExpired):
        upload_store.open_file(token, customer=customer)


def test_a_token_is_bound_to_its_customer_and_signed():
    token = upload_store.save_file(ContentFile(b"x"), customer=CustomerFactory(), suffix=".csv")
    with pytest.raises(UploadExpired):
        upload_store.open_file(token, customer=CustomerFactory())
    with pytest.raises(UploadExpired):
        upload_store.open_file(token[:-2] + "xx", customer=CustomerFactory())


def test_tokens_expire_and_old_files_are_purged(settings):
    settings.ENTERPRISE = {"MANAGE_LEARNERS_UPLOAD_MAX_AGE": 60}
    customer = CustomerFactory()
    old = upload_store.save_file(ContentFile(b"old"), customer=customer, suffix=".csv")
    old_name = upload_store._name(old, customer)
    an_hour_ago = time.time() - 3600
    os.utime(default_storage.path(old_name), (an_hour_ago, an_hour_ago))
    upload_store.save_file(ContentFile(b"new"), customer=customer, suffix=".csv")  # purges on save
    assert not default_storage.exists(old_name)
    fresh = upload_store.save_file(ContentFile(b"x"), customer=customer, suffix=".csv")
    later = time.time() + 61
    with mock.patch("django.core.signing.time.time", return_value=later), pytest.raises(UploadExpired):
        upload_store.open_file(fresh, customer=customer)


def test_purge_without_any_upload_yet():
    assert upload_store.purge_expired(datetime.datetime.now(datetime.UTC)) == 0
