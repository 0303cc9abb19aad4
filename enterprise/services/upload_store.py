"""Uploads waiting for their preview to be confirmed, and downloadable reports, in Django's storage.

A preview and its confirmation are two requests (perhaps on two web servers), so the uploaded
file is kept in the default storage (``MEDIA_ROOT`` or a shared bucket) under a random name,
and the page carries a signed token naming it and its customer. A token is valid for
``MANAGE_LEARNERS_UPLOAD_MAX_AGE`` seconds; older files are deleted whenever a new one is saved.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import uuid

from django.core import signing
from django.core.files.storage import default_storage
from django.utils import timezone

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import UploadExpired

logger = logging.getLogger(__name__)

DIRECTORY = "enterprise/manage_learners"
SALT = "enterprise.manage_learners.upload"


def save_file(content, *, customer, suffix: str) -> str:
    """Store ``content`` (a Django ``File``) and return a signed token for it."""
    purge_expired()
    name = default_storage.save(f"{DIRECTORY}/{uuid.uuid4().hex}{suffix}", content)
    return signing.dumps({"name": name, "customer": str(customer.pk)}, salt=SALT)


def _name(token: str, customer) -> str:
    try:
        data = signing.loads(token, salt=SALT, max_age=enterprise_settings.MANAGE_LEARNERS_UPLOAD_MAX_AGE)
    except signing.BadSignature as exc:  # SignatureExpired is a BadSignature
        raise UploadExpired() from exc
    name = data.get("name", "")
    if data.get("customer") != str(customer.pk) or not name.startswith(f"{DIRECTORY}/"):
        raise UploadExpired()
    if not default_storage.exists(name):
        raise UploadExpired()
    return name


def stored_name(token: str, *, customer) -> str:
    """The storage name of the upload of ``token`` (``UploadExpired`` once it is gone)."""
    return _name(token, customer)


def open_file(token: str, *, customer):
    """The stored file of ``token`` opened for binary reading, or ``UploadExpired``."""
    return default_storage.open(_name(token, customer), "rb")


def file_size(token: str, *, customer) -> int:
    return default_storage.size(_name(token, customer))


def delete_file(token: str, *, customer) -> None:
    with contextlib.suppress(UploadExpired):
        name = _name(token, customer)
        default_storage.delete(name)
        for suffix in COMPANIONS:
            default_storage.delete(name + suffix)


#: What the preview learnt of a stored upload, kept beside it (``manage_learners``, decision 0416).
COMPANION = ".classified"
#: What the preview planned to write, and the learner state it planned from (``confirm_plan``, decision 0545).
PLAN = ".plan"
COMPANIONS = (COMPANION, PLAN)


def save_companion(token: str, content, *, customer, suffix: str = COMPANION) -> None:
    """Store ``content`` (a Django ``File``) beside the upload of ``token``, replacing any earlier one."""
    name = _name(token, customer) + suffix
    default_storage.delete(name)
    saved = default_storage.save(name, content)
    if saved != name:  # a storage that renamed it: not found again, so not used
        default_storage.delete(saved)


def open_companion(token: str, *, customer, suffix: str = COMPANION):
    """The companion (``suffix``) of the upload of ``token`` opened for binary reading, or None."""
    name = _name(token, customer) + suffix
    try:
        return default_storage.open(name, "rb")
    except FileNotFoundError:
        return None


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete stored uploads and reports older than ``MANAGE_LEARNERS_UPLOAD_MAX_AGE``."""
    now = now or timezone.now()
    limit = now - datetime.timedelta(seconds=enterprise_settings.MANAGE_LEARNERS_UPLOAD_MAX_AGE)
    try:
        _dirs, files = default_storage.listdir(DIRECTORY)
    except FileNotFoundError:
        return 0
    removed = 0
    for filename in files:
        name = f"{DIRECTORY}/{filename}"
        try:
            if default_storage.get_modified_time(name) < limit:
                default_storage.delete(name)
                removed += 1
        except (FileNotFoundError, NotImplementedError) as exc:  # deleted meanwhile, or a storage without dates
            logger.debug("Not purging %s: %s", name, exc)
    return removed
