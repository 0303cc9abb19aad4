"""Domain model of the enterprise app, one module per concept."""

from enterprise.models.admin_role import EnterpriseCustomerAdmin
from enterprise.models.customer import EnterpriseCustomer, EnterpriseCustomerIdentityProvider
from enterprise.models.email_template import EnrollmentNotificationEmailTemplate
from enterprise.models.enrollment import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.models.field_change import LearnerFieldChange
from enterprise.models.identity import LearnerRemoteIdentity
from enterprise.models.learner import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.models.learner_field import LearnerField
from enterprise.models.notification import EnrollmentNotification
from enterprise.models.portal_action import PortalAction
from enterprise.models.price import Price, PricedContent
from enterprise.models.report import ReportDay, ReportFieldCount, ReportRefresh
from enterprise.models.token import AccessToken

__all__ = [
    "AccessToken",
    "EnrollmentNotification",
    "EnrollmentNotificationEmailTemplate",
    "EnterpriseCourseEnrollment",
    "EnterpriseCustomer",
    "EnterpriseCustomerAdmin",
    "EnterpriseCustomerIdentityProvider",
    "EnterpriseCustomerUser",
    "LearnerField",
    "LearnerFieldChange",
    "LearnerRemoteIdentity",
    "PendingEnrollment",
    "PendingEnterpriseCustomerUser",
    "PortalAction",
    "Price",
    "PricedContent",
    "ReportDay",
    "ReportFieldCount",
    "ReportRefresh",
]
