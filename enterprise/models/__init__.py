"""Domain model of the enterprise app, one module per concept."""

from enterprise.models.customer import EnterpriseCustomer, EnterpriseCustomerIdentityProvider
from enterprise.models.email_template import EnrollmentNotificationEmailTemplate
from enterprise.models.enrollment import EnterpriseCourseEnrollment, PendingEnrollment
from enterprise.models.identity import LearnerRemoteIdentity
from enterprise.models.learner import EnterpriseCustomerUser, PendingEnterpriseCustomerUser

__all__ = [
    "EnrollmentNotificationEmailTemplate",
    "EnterpriseCourseEnrollment",
    "EnterpriseCustomer",
    "EnterpriseCustomerIdentityProvider",
    "EnterpriseCustomerUser",
    "LearnerRemoteIdentity",
    "PendingEnrollment",
    "PendingEnterpriseCustomerUser",
]
