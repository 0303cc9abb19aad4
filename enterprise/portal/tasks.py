"""Celery tasks of the portal: refresh a customer's report figures (``reports.refresh_reports``), and every
customer's (the periodic task of ``enterprise.portal.schedule``)."""

from celery import shared_task


@shared_task(name="enterprise_portal.refresh_reports", ignore_result=True)
def refresh_customer_reports(customer_id: int) -> int:
    """Refresh one customer's dashboard figures; returns the enrollments read (0 if the customer is gone)."""
    from enterprise.models import EnterpriseCustomer
    from enterprise.portal.reports import refresh_reports

    customer = EnterpriseCustomer.objects.filter(pk=customer_id).first()
    return refresh_reports(customer).enrollments if customer is not None else 0


@shared_task(name="enterprise_portal.refresh_all_reports", ignore_result=True)
def refresh_all_reports() -> int:
    """Queue the refresh of every customer's figures (run in-process, one after the other, without a broker)."""
    from enterprise.models import EnterpriseCustomer

    ids = list(EnterpriseCustomer.objects.order_by("pk").values_list("pk", flat=True))
    for customer_id in ids:
        refresh_customer_reports.delay(customer_id)
    return len(ids)
