"""Make one row of any model by introspection, so tests that walk "every model" also cover the
models added after them (a new channel's configuration, a new admin)."""

from __future__ import annotations

import datetime
import decimal
import itertools
import uuid

from django.db import IntegrityError, models, transaction
from django.utils import timezone

_counter = itertools.count(1)

SECRET_PREFIX = "clear-secret-"


def _value_for(field: models.Field, n: int, secrets: dict, model=None):
    from enterprise.fields import EncryptedTextField

    if field.choices:
        return field.choices[0][0]
    if isinstance(field, EncryptedTextField):
        # recorded under the model built (a proxy, e.g. LyndaConnection, has its own admin and API rows)
        model = model or field.model
        value = f"{SECRET_PREFIX}{model._meta.label_lower}-{field.name}-{uuid.uuid4().hex}"
        secrets[(model._meta.label, field.name)] = value
        return value
    if isinstance(field, models.UUIDField):
        return uuid.uuid4()
    if isinstance(field, models.EmailField):
        return f"built{n}@example.com"
    if isinstance(field, models.URLField):
        return f"http://127.0.0.1:9/built{n}/"  # a closed port: calls fail at once, offline
    if isinstance(field, models.SlugField):
        return f"built-{n}"
    if isinstance(field, models.GenericIPAddressField):
        return "127.0.0.1"
    if isinstance(field, models.CharField | models.TextField):
        return f"built-{n}"[: field.max_length or None]
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("1")
    if isinstance(field, models.DurationField):
        return datetime.timedelta(minutes=1)
    if isinstance(field, models.IntegerField | models.FloatField):
        return 1
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.now().date()
    if isinstance(field, models.TimeField):
        return datetime.time(12, 0)
    if isinstance(field, models.JSONField):
        return {}
    raise NotImplementedError(f"no builder value for {field!r}")


def build(model, *, secrets: dict | None = None, **given):
    """Save and return one ``model`` row: required fields filled by type, foreign keys built
    recursively, encrypted fields given a known clear value recorded in ``secrets``. When the
    database refuses the minimal row (a check tying a status to a date), optional fields are
    filled too."""
    secrets = {} if secrets is None else secrets
    try:
        with transaction.atomic():
            return _build(model, secrets, given, fill_optional=False)
    except IntegrityError:
        return _build(model, secrets, given, fill_optional=True)


def _build(model, secrets: dict, given: dict, *, fill_optional: bool):
    n = next(_counter)
    values = dict(given)
    from enterprise.fields import EncryptedTextField

    for field in model._meta.concrete_fields:
        if field.name in values or field.attname in values or field.primary_key:
            continue
        # a secret set only by a flow (an OAuth refresh token: editable=False) is filled too: it must not leak either
        if not field.editable and not isinstance(field, EncryptedTextField):
            continue
        if isinstance(field, models.ForeignKey | models.OneToOneField):
            if field.null:
                continue
            existing = field.related_model._base_manager.order_by("pk").first()
            reuse = existing is not None and not field.one_to_one
            values[field.name] = existing if reuse else build(field.related_model, secrets=secrets)
            continue
        required = not field.has_default() and not field.null and not field.blank
        if isinstance(field, EncryptedTextField) or required or (fill_optional and (field.null or field.blank)):
            values[field.name] = _value_for(field, n, secrets, model)
    obj = model(**values)
    obj.save()
    return obj
