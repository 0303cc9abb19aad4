"""Index provider progress by ``modified`` (decision 0560).

A course in progress keeps its percent on its progress row and gets no grade row; the completion interface's
``changed_since`` reads the progress written since a channel's last run by this index, as it reads grades,
certificates and LMS enrollments by theirs.
"""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enterprise", "0017_customer_indexes_covered"),
        ("lms_content", "0004_user_indexes_dropped"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="providerprogress",
            index=models.Index(fields=["modified"], name="content_progress_modified"),
        ),
    ]
