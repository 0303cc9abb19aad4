"""Celery task of the portal: refresh a customer's report figures (``reports.refresh_reports``)."""

from celery import shared_task


@shared_task(name="enterprise_portal.refresh_reports", ignore_result=True)
def refresh_customer_reports(customer_id: int) -> int:
    """Refresh one customer's dashboard figures; returns the enrollments read (0 if the customer is gone)."""
    from enterprise.models import EnterpriseCustomer
    from enterprise.portal.reports import refresh_reports

    customer = EnterpriseCustomer.objects.filter(pk=customer_id).first()
    return refresh_reports(customer).enrollments if customer is not None else 0
