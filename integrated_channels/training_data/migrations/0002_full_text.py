"""Full-text indexes of the catalog read model, per database (decision 0321)."""

from django.db import migrations

POSTGRES_UP = (
    "CREATE INDEX training_data_fts ON training_data_catalogentry USING gin (to_tsvector('simple', document))"
)
POSTGRES_DOWN = "DROP INDEX IF EXISTS training_data_fts"

SQLITE_UP = [
    "CREATE VIRTUAL TABLE training_data_fts USING fts5("
    "document, content='training_data_catalogentry', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER training_data_fts_ai AFTER INSERT ON training_data_catalogentry BEGIN "
    "INSERT INTO training_data_fts(rowid, document) VALUES (new.id, new.document); END",
    "CREATE TRIGGER training_data_fts_ad AFTER DELETE ON training_data_catalogentry BEGIN "
    "INSERT INTO training_data_fts(training_data_fts, rowid, document) VALUES ('delete', old.id, old.document); END",
    "CREATE TRIGGER training_data_fts_au AFTER UPDATE ON training_data_catalogentry BEGIN "
    "INSERT INTO training_data_fts(training_data_fts, rowid, document) VALUES ('delete', old.id, old.document); "
    "INSERT INTO training_data_fts(rowid, document) VALUES (new.id, new.document); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS training_data_fts_au",
    "DROP TRIGGER IF EXISTS training_data_fts_ad",
    "DROP TRIGGER IF EXISTS training_data_fts_ai",
    "DROP TABLE IF EXISTS training_data_fts",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES_UP] if vendor == "postgresql" else SQLITE_UP if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = [POSTGRES_DOWN] if vendor == "postgresql" else SQLITE_DOWN if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("training_data", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
