"""The import's own ``name`` steps aside before the framework gives every connection a ``name``
(decision 0171); 0003 moves its value there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("xapi", "0001_initial")]
    run_before = [("integrated_channel", "0008_connections_operations_schedules")]

    operations = [
        migrations.RenameField(model_name="xapiimportconfiguration", old_name="name", new_name="import_name"),
    ]
