"""Drop the single-column ``customer_id`` indexes of the link and pending tables (decision 0480).

Each table has a composite index that starts with ``customer_id`` (``ecu_unique_customer_user``,
``ecu_customer_linked_created``; ``pending_ecu_customer_created``), which serves every query on the
customer alone, the cascade of a customer's deletion included; the single-column index only cost
every bulk insert one more index entry per row.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("enterprise", "0016_report_field_counts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="enterprisecustomeruser",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="learners",
                to="enterprise.enterprisecustomer",
            ),
        ),
        migrations.AlterField(
            model_name="pendingenterprisecustomeruser",
            name="customer",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="pending_learners",
                to="enterprise.enterprisecustomer",
            ),
        ),
    ]
