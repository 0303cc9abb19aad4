"""The read model's image under the CDN, Buy-now link, instructors and sessions (decision 0371).

SQLite rebuilds the table to add these columns (a new table copied, the old one dropped), which drops
the full-text triggers of 0002 with it: they are created again and the FTS5 index rebuilt. Any later
migration that changes this table on SQLite must do the same (``restore_sqlite_full_text``).
"""

from django.db import migrations, models

from integrated_channels.training_data.migrations import _full_text


def restore_sqlite_full_text(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in _full_text.SQLITE_DOWN[:3] + _full_text.SQLITE_UP[1:]:
        schema_editor.execute(statement)
    schema_editor.execute("INSERT INTO training_data_fts(training_data_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):

    dependencies = [
        ('training_data', '0002_full_text'),
    ]

    operations = [
        migrations.AddField(
            model_name='catalogentry',
            name='buy_url',
            field=models.URLField(blank=True, help_text="The store's product page (Adobe Commerce), once exported there.", max_length=1000),
        ),
        migrations.AddField(
            model_name='catalogentry',
            name='instructors',
            field=models.JSONField(blank=True, default=list, help_text='Display names, no contact.'),
        ),
        migrations.AddField(
            model_name='catalogentry',
            name='sessions',
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AlterField(
            model_name='catalogentry',
            name='image_url',
            field=models.URLField(blank=True, help_text="The image's copy under the CDN URL.", max_length=1000),
        ),
        migrations.AddIndex(
            model_name="catalogentry",
            index=models.Index(fields=["customer", "built_at"], name="training_data_built"),
        ),
        migrations.RunPython(restore_sqlite_full_text, migrations.RunPython.noop, elidable=False),
    ]
