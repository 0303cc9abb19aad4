"""System checks: configuration mistakes are reported by ``manage.py check``, not at run time."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router

from enterprise.app_settings import enterprise_settings
from enterprise.secret_key import insecure_reason

BACKENDS = ("CATALOG_BACKEND", "ENROLLMENT_BACKEND", "COMPLETION_BACKEND")


@register()
def check_lms_backends(app_configs, **kwargs):
    errors = []
    for name in BACKENDS:
        try:
            backend = getattr(enterprise_settings, name)
        except ImproperlyConfigured as exc:
            errors.append(Error(str(exc), id="enterprise.E001"))
            continue
        module = getattr(backend, "__module__", "")
        if module.startswith("enterprise.lms.local") and not apps.is_installed("enterprise.lms.local"):
            errors.append(
                Error(
                    f"settings.ENTERPRISE[{name!r}] uses the local LMS backend, "
                    "but 'enterprise.lms.local' is not in INSTALLED_APPS.",
                    hint="Add 'enterprise.lms.local' to INSTALLED_APPS or point the backend at your LMS.",
                    id="enterprise.E002",
                )
            )
    return errors


@register()
def check_encryption_key(app_configs, **kwargs):
    """Secrets at rest are encrypted with a key derived from SECRET_KEY when ENCRYPTION_KEYS is
    empty: a known SECRET_KEY decrypts them from a copy of the database (decision 0162). An error,
    reported by every ``manage.py check`` (and so by ``migrate`` and ``runserver``), not only
    ``--deploy``.
    """
    if enterprise_settings.ENCRYPTION_KEYS:
        return []
    try:
        secret_key = settings.SECRET_KEY
    except ImproperlyConfigured:  # Django refuses to read an empty SECRET_KEY
        secret_key = ""
    reason = insecure_reason(secret_key)
    if reason is None:
        return []
    return [
        Error(
            f"Stored secrets are encrypted with a key derived from SECRET_KEY, and SECRET_KEY is not "
            f"secret: {reason}. Anyone with the database can decrypt every channel password.",
            hint="Set SECRET_KEY (the standalone host: DJANGO_SECRET_KEY) to a long random value, or "
            "ENTERPRISE['ENCRYPTION_KEYS'] to your own Fernet keys; then re-encrypt the stored secrets with "
            "OLD_SECRET_KEY=<the former key> manage.py rotate_encryption_keys --old-secret-key-env OLD_SECRET_KEY.",
            id="enterprise.E003",
        )
    ]


def has_email_index(connection, table: str, column: str) -> bool:
    """Whether PostgreSQL has a b-tree index on ``UPPER(column)`` of ``table`` (what ``iexact`` compares).

    A trigram (GIN) index of the same expression serves substring searches, not equality look-ups.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        definitions = [row[0].lower().replace('"', "") for row in cursor.fetchall()]
    definitions = [definition for definition in definitions if " using btree " in definition]
    wanted = (f"upper(({column})::text)", f"upper({column})")
    return any(form in definition for definition in definitions for form in wanted)


@register(Tags.database)
def check_user_email_index(app_configs, databases=None, **kwargs):
    """Bulk links and e-mail searches look users up by ``UPPER(email)``: without an index, each
    submission scans the host's user table (~250 ms at a million users). ``manage.py check
    --database default`` (and ``migrate``) warn when it is missing on PostgreSQL (decision 0110).
    """
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    if not databases or alias not in databases or connections[alias].vendor != "postgresql":
        return []
    table = user_model._meta.db_table
    column = user_model._meta.get_field(user_model.get_email_field_name()).column
    if has_email_index(connections[alias], table, column):
        return []
    return [
        Warning(
            f"The user table {table!r} has no index on UPPER({column}): every bulk link and e-mail "
            "search of learners reads the whole table.",
            hint=f"CREATE INDEX CONCURRENTLY {table}_{column}_upper ON {table} (UPPER({column}));",
            id="enterprise.W001",
        )
    ]


def _has_trigram_index(connection, table: str, column: str) -> bool:
    """Whether PostgreSQL has a ``gin_trgm_ops`` index on ``UPPER(column)`` of ``table``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        definitions = [row[0].lower().replace('"', "") for row in cursor.fetchall()]
    forms = (f"upper(({column})::text) gin_trgm_ops", f"upper({column}) gin_trgm_ops")
    return any(form in definition for definition in definitions for form in forms)


@register(Tags.database)
def check_user_trigram_indexes(app_configs, databases=None, **kwargs):
    """The admin's learner searches match part of the e-mail, username and names (``icontains``):
    on PostgreSQL, without ``pg_trgm`` indexes on those columns each search scans the host's user
    table. Warn with the statements (decision 0201); the standalone host creates them itself.
    """
    user_model = get_user_model()
    alias = router.db_for_read(user_model)
    if not databases or alias not in databases or connections[alias].vendor != "postgresql":
        return []
    table = user_model._meta.db_table
    columns = [
        field.column
        for field in user_model._meta.concrete_fields
        if field.name in ("email", "username", "first_name", "last_name")
    ]
    missing = [column for column in columns if not _has_trigram_index(connections[alias], table, column)]
    if not missing:
        return []
    statements = " ".join(
        f"CREATE INDEX CONCURRENTLY {table}_{column}_trgm ON {table} USING gin (UPPER({column}::text) gin_trgm_ops);"
        for column in missing
    )
    return [
        Warning(
            f"The user table {table!r} has no trigram index on {', '.join(missing)}: every search of learners by "
            "part of an e-mail, a name or a username reads the whole table.",
            hint=f"CREATE EXTENSION IF NOT EXISTS pg_trgm; {statements}",
            id="enterprise.W002",
        )
    ]
