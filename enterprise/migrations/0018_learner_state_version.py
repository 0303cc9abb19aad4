"""A version of the learner state that changes whenever it may have changed (decision 0545).

PostgreSQL only. A statement-level trigger on the link, pending and customer tables and on the
user table (its addresses and usernames) takes a shared transaction-level advisory lock and draws
``enterprise_learner_state_version``: a Manage Learners confirmation applies what its preview
planned only when the version is the one the preview's snapshot was taken at
(``enterprise.services.confirm_plan``). Elsewhere (SQLite) nothing is created and a confirmation
always plans again. The lock key is ``confirm_plan.STATE_LOCK`` (frozen here).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import migrations

STATE_LOCK = 7_305_450_545
SEQUENCE = "enterprise_learner_state_version"
FUNCTION = "enterprise_learner_state_changed"
TRIGGER = "enterprise_learner_state"


def _tables(apps, quote):
    user = get_user_model()  # the host's model: a historical model has no get_email_field_name()
    meta = user._meta
    email = meta.get_field(user.get_email_field_name()).column
    username = meta.get_field(user.USERNAME_FIELD).column
    return [
        (apps.get_model("enterprise", "EnterpriseCustomerUser")._meta.db_table, "INSERT OR UPDATE OR DELETE"),
        (apps.get_model("enterprise", "PendingEnterpriseCustomerUser")._meta.db_table, "INSERT OR UPDATE OR DELETE"),
        (apps.get_model("enterprise", "EnterpriseCustomer")._meta.db_table, "UPDATE OF name OR DELETE"),
        (meta.db_table, f"INSERT OR UPDATE OF {quote(email)}, {quote(username)} OR DELETE"),
    ]


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    present = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    schema_editor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
    schema_editor.execute(
        f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_advisory_xact_lock_shared({STATE_LOCK}); PERFORM nextval('{SEQUENCE}'); "
        "RETURN NULL; END $$"
    )
    for table, events in _tables(apps, quote):
        if table not in present:  # a user table in another database: no version, no plan (decision 0545)
            continue
        for suffix, when in (("", events), ("_truncate", "TRUNCATE")):
            schema_editor.execute(
                f"CREATE TRIGGER {TRIGGER}{suffix} AFTER {when} ON {quote(table)} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
            )


def drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    present = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    for table, _events in _tables(apps, quote):
        if table in present:
            for suffix in ("", "_truncate"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}{suffix} ON {quote(table)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
    schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("enterprise", "0017_customer_indexes_covered"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
