"""Drop the enterprise enrollment's single-column ``learner_id`` index (decision 0561).

The unique ``(learner_id, course_id)`` (``ece_unique_learner_course``) starts with ``learner_id`` and serves
every query on the learner alone, the cascade of a learner's deletion included; the single-column index only
cost every enrollment written (a provider progress import writes one per new learner and course) one more
index entry.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enterprise", "0018_learner_state_version"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enterprisecourseenrollment",
            name="learner",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="enrollments",
                to="enterprise.enterprisecustomeruser",
            ),
        ),
    ]
