"""The lead mapping becomes the mapping screen (decision 0400; self enrollment is an event now, decision 0401): the lead fields Test connection reads are
kept on the connection, and existing hand-typed JSON mappings are converted to what the screen shows."""

import integrated_channels.marketo.models
from django.db import migrations, models

DEFAULT_MAPPING = {"email": "email", "first_name": "firstName", "last_name": "lastName"}
# The built-in learner fields when this migration was written, and the username.
KNOWN = {
    "email",
    "first_name",
    "last_name",
    "employee_id",
    "manager",
    "department",
    "job_title",
    "location",
    "country",
    "hire_date",
    "sap_user_id",
    "username",
}


def converted(mapping, custom_keys) -> dict:
    """The screen's mapping of a stored JSON one: string values stripped, learner fields the customer has,
    each Marketo field once (the first learner field keeps it), e-mail on the lookup field email."""
    if not isinstance(mapping, dict):
        mapping = dict(DEFAULT_MAPPING)
    known = KNOWN | set(custom_keys)
    result, used = {}, set()
    for key, target in mapping.items():
        if key not in known or not isinstance(target, str) or not target.strip() or target.strip() in used:
            continue
        result[key] = target.strip()
        used.add(target.strip())
    if result.get("email") != "email":
        result = {key: target for key, target in result.items() if target != "email"}
        result["email"] = "email"
    return result


def convert(apps, schema_editor):
    connections = apps.get_model("marketo", "MarketoConnection")
    learner_fields = apps.get_model("enterprise", "LearnerField")
    for connection in connections.objects.all():
        custom = learner_fields.objects.filter(customer_id=connection.customer_id).values_list("key", flat=True)
        mapping = converted(connection.lead_mapping, custom)
        lead_fields = sorted(set(DEFAULT_MAPPING.values()) | set(mapping.values()))
        connections.objects.filter(pk=connection.pk).update(
            lead_mapping=mapping, marketo_fields={"lead": lead_fields}
        )


class Migration(migrations.Migration):
    dependencies = [
        ("marketo", "0001_initial"),
        ("enterprise", "0011_prices"),
    ]

    operations = [
        migrations.AddField(
            model_name="marketoconnection",
            name="marketo_fields",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text=(
                    'What Test connection read from the describe endpoints: {"lead": [REST names], "cp_…": '
                    "[fields of each custom object present]}. The lead fields are the choices of the lead mapping."
                ),
                verbose_name="Marketo fields",
            ),
        ),
        migrations.AlterField(
            model_name="marketoconnection",
            name="lead_mapping",
            field=models.JSONField(
                blank=True,
                default=integrated_channels.marketo.models.default_mapping,
                help_text=(
                    "Learner field → Marketo lead field (REST name), or a field added to a cp_ custom object "
                    "(cp_object.field), chosen in drop-downs of the fields Test connection read. e-mail must map to email "
                    "(the lookup field)."
                ),
                verbose_name="lead mapping",
            ),
        ),
        migrations.AlterField(
            model_name="marketoconnection",
            name="event_activity_types",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text=(
                    "The events to send, each with the id of the custom activity type created for it in Marketo "
                    '(Admin > Marketo Custom Activities), e.g. {"training_enrollment": 100001, "skill_completion": '
                    "100002}. Events: new_user, user_metadata_updated, user_activity_updated, training_enrollment, "
                    "self_enrollment, skill_completion."
                ),
                verbose_name="events (custom activity types)",
            ),
        ),
        migrations.RunPython(convert, migrations.RunPython.noop),
    ]
