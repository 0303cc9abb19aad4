"""``manage.py refresh_portal_reports [--customer SLUG ...]``: recompute the Reports dashboard's figures.

Celery beat already refreshes every customer every ``ENTERPRISE["PORTAL_REPORTS_REFRESH_HOURS"]``
hours (``enterprise.portal.schedule``); this command is for a host without beat (cron) or a
refresh now. The dashboard shows when its figures were refreshed.
"""

from django.core.management.base import BaseCommand, CommandError

from enterprise.models import EnterpriseCustomer
from enterprise.portal.reports import refresh_reports


class Command(BaseCommand):
    help = "Recompute the portal's report figures of every customer (or of the customers named by slug)."

    def add_arguments(self, parser):
        parser.add_argument("--customer", action="append", default=[], metavar="SLUG", help="a customer's slug")

    def handle(self, *args, customer, **options):
        customers = EnterpriseCustomer.objects.order_by("slug")
        if customer:
            customers = customers.filter(slug__in=customer)
            unknown = sorted(set(customer) - set(customers.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(f"No customer with slug: {', '.join(unknown)}.")
        for each in customers:
            refresh = refresh_reports(each)
            self.stdout.write(f"{each.slug}: {refresh.enrollments} enrollments ({refresh.skipped} in unknown courses)")
