"""Connections as code: apply a JSON description of connections, or export them as one.

The file holds ``{"connections": [...]}``; each connection names its customer (uuid or slug), its
connector (the registry code), its name, and optionally ``active``, ``send_in_progress``,
``notifications`` (``emails``, ``when``), ``settings``, ``credentials``, ``rows`` (child rows such
as the xAPI import's mappings and filters) and ``schedules`` (per operation code: ``enabled``,
``start``, ``every``, ``unit``). Field names come from the connector's model
(``connection_fields``) and are listed in docs/connectors/.

``apply`` is idempotent and all-or-nothing: every connection is validated with the model's own
validation (``full_clean``, as the admin does) inside one transaction, and when any is refused
nothing is saved and every error is reported, naming the connection and the field. Credentials
left out keep their stored value (a connector's validation may ask for them again, e.g. when
the host changes). ``rows`` given replace the connection's rows; schedules given are set, the
others left as they are. ``dry_run`` answers the same changes and rolls everything back.
``export`` writes the same shape back, without credentials.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.dateparse import parse_datetime

from enterprise.models import EnterpriseCustomer
from integrated_channels.integrated_channel import schedules
from integrated_channels.integrated_channel.connection_fields import ConnectionFields, fields_of, to_json
from integrated_channels.integrated_channel.exceptions import ChannelConfigurationError, OperationRefused
from integrated_channels.integrated_channel.models import ChannelConfiguration, OperationSchedule
from integrated_channels.integrated_channel.models.configuration import split_emails
from integrated_channels.integrated_channel.registry import ChannelNotRegistered

TOP_LEVEL = {
    "customer",
    "connector",
    "name",
    "active",
    "send_in_progress",
    "notifications",
    "settings",
    "credentials",
    "rows",
    "schedules",
}
SCHEDULE_KEYS = {"enabled", "start", "every", "unit"}


class ConnectionFileRefused(ChannelConfigurationError):
    """The file cannot be applied; ``errors`` lists every problem (nothing was saved)."""

    code = "connection_file_refused"

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class Change:
    connection: str  # "customer-slug / SFTP / default"
    action: str  # "created", "updated" or "unchanged"
    fields: list[str] = field(default_factory=list)  # what changed, e.g. settings.host, credentials.password

    def __str__(self) -> str:
        changed = f": {', '.join(self.fields)}" if self.fields and self.action == "updated" else ""
        return f"{self.action} {self.connection}{changed}"


@dataclass
class ApplyResult:
    changes: list[Change]
    dry_run: bool

    def counts(self) -> dict[str, int]:
        return {action: sum(c.action == action for c in self.changes) for action in ("created", "updated", "unchanged")}


# Export


def describe(
    configuration: ChannelConfiguration, *, credentials: bool = False, schedules_of: list | None = None
) -> dict[str, Any]:
    """One connection as the file writes it (no credentials unless asked, for comparisons only).

    ``schedules_of``: its schedules when the caller fetched them already (``export``: one query for all).
    """
    configuration = configuration.specific()
    fields = fields_of(configuration.channel)
    data: dict[str, Any] = {
        "customer": configuration.customer.slug,
        "connector": configuration.channel,
        "name": configuration.name,
        "active": configuration.active,
        "send_in_progress": configuration.send_in_progress,
        "notifications": {
            "emails": split_emails(configuration.notify_emails),
            "when": configuration.notify_when,
        },
        "settings": {f.name: to_json(f.value_from_object(configuration)) for f in fields.settings},
    }
    if credentials:
        data["credentials"] = {f.name: f.value_from_object(configuration) for f in fields.credentials}
    if fields.rows:
        data["rows"] = rows_of(configuration)
    if schedules_of is None:
        schedules_of = list(OperationSchedule.objects.filter(configuration_id=configuration.pk).order_by("operation"))
    data["schedules"] = {
        schedule.operation: {
            "enabled": schedule.enabled,
            "start": schedule.start.isoformat(),
            "every": schedule.every,
            "unit": schedule.unit,
        }
        for schedule in schedules_of
    }
    return data


def rows_of(configuration) -> dict[str, list[dict]]:
    """The connection's child rows by relation name, oldest first (``{}`` for a connector without rows).

    ``describe`` (export) and the REST API's connection detail both answer this.
    """
    configuration = configuration.specific()
    return {
        rows.name: [
            {f.name: to_json(f.value_from_object(row)) for f in rows.fields}
            for row in getattr(configuration, rows.name).order_by("pk")
        ]
        for rows in fields_of(configuration.channel).rows
    }


def export(*, customers=None, connector: str | None = None) -> dict[str, Any]:
    """Every connection (of ``customers``, of ``connector``) as a connections file, without secrets."""
    connections = ChannelConfiguration.objects.order_by("customer__slug", "channel", "name")
    if customers is not None:
        connections = connections.filter(customer__in=customers)
    if connector:
        connections = connections.filter(channel=connector.upper())
    found = connections.specific()
    by_connection: dict[int, list] = {configuration.pk: [] for configuration in found}
    for schedule in OperationSchedule.objects.filter(configuration_id__in=by_connection).order_by("operation"):
        by_connection[schedule.configuration_id].append(schedule)
    return {"connections": [describe(c, schedules_of=by_connection[c.pk]) for c in found]}


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"


# Apply


def load(text: str) -> list[dict]:
    """The connections of a file's text, or ``ConnectionFileRefused`` when it is not one."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConnectionFileRefused([f"Not JSON: {exc}."]) from None
    if not isinstance(data, dict) or not isinstance(data.get("connections"), list):
        raise ConnectionFileRefused(['Expected an object {"connections": [...]}.'])
    return data["connections"]


def apply(items: list[dict], *, dry_run: bool = False, customers=None) -> ApplyResult:
    """Create or update the connections ``items`` (as ``load`` returns them) in one transaction.

    ``customers``: the customers the caller may change (all when None). Raises
    ``ConnectionFileRefused`` with every error when any connection is refused (nothing saved).
    """
    errors: list[str] = []
    changes: list[Change] = []
    with transaction.atomic():
        for index, item in enumerate(items):
            label = f"connections[{index}]"
            try:
                with transaction.atomic():  # a savepoint: a refused connection leaves nothing half-saved
                    changes.append(_apply_one(item, label=label, customers=customers))
            except ValidationError as exc:
                errors.extend(f"{label}: {message}" for message in _messages(exc))
        if errors or dry_run:
            transaction.set_rollback(True)
    if errors:
        raise ConnectionFileRefused(errors)
    return ApplyResult(changes=changes, dry_run=dry_run)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{name}: {message}" for name, messages in exc.message_dict.items() for message in messages]
    return list(exc.messages)


def _customer(value, customers) -> EnterpriseCustomer:
    scope = customers if customers is not None else EnterpriseCustomer.objects.all()
    if not isinstance(value, str) or not value:
        raise ValidationError({"customer": "Give the customer's uuid or slug."})
    try:
        lookup = {"pk": uuid.UUID(value)}
    except ValueError:
        lookup = {"slug": value}
    customer = scope.filter(**lookup).first()
    if customer is None:
        raise ValidationError({"customer": f"No customer {value!r}."})
    return customer


def _check_keys(given: dict, known, where: str) -> None:
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValidationError(
            {where: f"Unknown field(s) {', '.join(unknown)}. Known: {', '.join(sorted(known)) or 'none'}."}
        )


def _object(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError({where: "Expected an object."})
    return value


def _apply_one(item, *, label: str, customers) -> Change:
    if not isinstance(item, dict):
        raise ValidationError("Expected an object.")
    _check_keys(item, TOP_LEVEL, "connection")
    customer = _customer(item.get("customer"), customers)
    try:
        fields = fields_of(str(item.get("connector") or ""))
    except ChannelNotRegistered as exc:
        raise ValidationError({"connector": str(exc)}) from None
    name = item.get("name", ChannelConfiguration.DEFAULT_NAME)
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": "Give the connection a name."})
    name = name.strip()
    where = f"{customer.slug} / {fields.channel.code} / {name}"
    try:
        return _save(item, fields=fields, customer=customer, name=name, where=where)
    except ValidationError as exc:
        # name the connection in every message
        raise ValidationError([f"{where}: {message}" for message in _messages(exc)]) from None


def _save(item: dict, *, fields: ConnectionFields, customer, name: str, where: str) -> Change:
    model = fields.model
    configuration = model.objects.select_related("customer").filter(customer=customer, name=name).first()
    before = describe(configuration, credentials=True) if configuration is not None else None
    if configuration is None:
        configuration = model(customer=customer, name=name)
    settings = _object(item.get("settings"), "settings")
    credentials = _object(item.get("credentials"), "credentials")
    notifications = _object(item.get("notifications"), "notifications")
    _check_keys(settings, [f.name for f in fields.settings], "settings")
    _check_keys(credentials, [f.name for f in fields.credentials], "credentials")
    _check_keys(notifications, ["emails", "when"], "notifications")
    errors: dict[str, list[str]] = {}
    for key in ("active", "send_in_progress"):
        if key in item:
            if not isinstance(item[key], bool):
                errors.setdefault(key, []).append("Expected true or false.")
            else:
                setattr(configuration, key, item[key])
    if "emails" in notifications:
        emails = notifications["emails"]
        if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
            errors.setdefault("notifications.emails", []).append("Expected a list of e-mail addresses.")
        else:
            configuration.notify_emails = "\n".join(emails)
    if "when" in notifications:
        configuration.notify_when = notifications["when"]
    for prefix, values in (("settings", settings), ("credentials", credentials)):
        for key, value in values.items():
            model_field = fields.setting(key) or fields.credential(key)
            try:
                setattr(configuration, model_field.attname, model_field.to_python(value))
            except ValidationError as exc:
                errors.setdefault(f"{prefix}.{key}", []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    try:
        configuration.full_clean()
    except ValidationError as exc:
        raise ValidationError(_prefixed(exc, fields)) from None
    configuration.save()
    _save_rows(configuration, fields, _object(item.get("rows"), "rows"))
    _save_schedules(configuration, _object(item.get("schedules"), "schedules"))
    after = describe(configuration, credentials=True)
    if before is None:
        return Change(connection=where, action="created")
    changed = _differences(before, after)
    return Change(connection=where, action="updated" if changed else "unchanged", fields=changed)


def _prefixed(exc: ValidationError, fields: ConnectionFields) -> dict[str, list[str]]:
    """A model's errors under the file's names (settings.host, credentials.password, notifications.when)."""
    renamed = {"notify_emails": "notifications.emails", "notify_when": "notifications.when", "customer": "customer"}
    out: dict[str, list[str]] = {}
    for key, messages in getattr(exc, "message_dict", {"connection": exc.messages}).items():
        if key in renamed:
            name = renamed[key]
        elif fields.setting(key):
            name = f"settings.{key}"
        elif fields.credential(key):
            name = f"credentials.{key}"
        elif key == "__all__":
            name = "connection"
        else:
            name = key
        out.setdefault(name, []).extend(messages)
    return out


def save_rows(configuration, given) -> None:
    """Replace the connection's rows of each relation named in ``given`` (``{name: [row, …]}``).

    The caller holds a transaction: on a refused row ``ValidationError`` is raised with keys
    ``rows.<name>[<index>].<field>`` and the rows already replaced must be rolled back. ``apply``
    and the REST API's connection update both save rows through this.
    """
    configuration = configuration.specific()
    _save_rows(configuration, fields_of(configuration.channel), _object(given, "rows"))


def _save_rows(configuration, fields: ConnectionFields, given: dict) -> None:
    _check_keys(given, [rows.name for rows in fields.rows], "rows")
    for name, values in given.items():
        rows = fields.rows_field(name)
        if not isinstance(values, list):
            raise ValidationError({f"rows.{name}": "Expected a list of objects."})
        current = [
            {f.name: to_json(f.value_from_object(row)) for f in rows.fields}
            for row in getattr(configuration, name).order_by("pk")
        ]
        if current == values:
            continue  # idempotent: the same rows are not re-created
        rows.model.objects.filter(**{rows.link: configuration}).delete()
        for index, value in enumerate(values):
            where = f"rows.{name}[{index}]"
            if not isinstance(value, dict):
                raise ValidationError({where: "Expected an object."})
            _check_keys(value, rows.field_names(), where)
            row = rows.model(**{rows.link: configuration})
            try:
                for key, raw in value.items():
                    model_field = next(f for f in rows.fields if f.name == key)
                    setattr(row, model_field.attname, model_field.to_python(raw))
                row.full_clean()
            except ValidationError as exc:
                raise ValidationError({f"{where}.{k}": v for k, v in _as_dict(exc).items()}) from None
            row.save()


def _as_dict(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"value": exc.messages}


def _save_schedules(configuration, given: dict) -> None:
    for code, value in given.items():
        where = f"schedules.{code}"
        if not isinstance(value, dict):
            raise ValidationError({where: "Expected an object with enabled, start, every, unit."})
        _check_keys(value, SCHEDULE_KEYS, where)
        missing = sorted(SCHEDULE_KEYS - set(value) - {"enabled"})
        if missing:
            raise ValidationError({where: f"Missing: {', '.join(missing)}."})
        start = parse_datetime(value["start"]) if isinstance(value["start"], str) else None
        if start is None or start.tzinfo is None:
            raise ValidationError({f"{where}.start": "Expected a date-time with its offset, e.g. 2026-01-31T02:00Z."})
        if not isinstance(value["every"], int) or isinstance(value["every"], bool):
            raise ValidationError({f"{where}.every": "Expected an integer."})
        try:
            schedules.save_schedule(
                configuration,
                code,
                enabled=bool(value.get("enabled", True)),
                start=start,
                every=value["every"],
                unit=value["unit"],
            )
        except OperationRefused as exc:
            raise ValidationError({where: str(exc)}) from None
        except ValidationError as exc:
            raise ValidationError({f"{where}.{k}": v for k, v in _as_dict(exc).items()}) from None


def _differences(before: dict, after: dict) -> list[str]:
    changed = []
    for section in ("active", "send_in_progress"):
        if before.get(section) != after.get(section):
            changed.append(section)
    for section in ("notifications", "settings", "credentials", "rows", "schedules"):
        old, new = before.get(section) or {}, after.get(section) or {}
        changed.extend(f"{section}.{key}" for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key))
    return changed
