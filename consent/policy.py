"""A customer's data-sharing consent policy, in one place for the consent page and the channels.

- Consent off (``enable_data_sharing_consent`` false): nobody is asked and every learner's data
  is sent to the customer's channels (the admin warns about it on the customer's page).
- Consent on, enforced ``at_enrollment`` or ``at_login``: learners answer on the consent page;
  only the data of learners who granted it for a course is sent for that course.
- Consent on, ``externally_managed``: the customer's own system records the answers (through the
  API); the consent page does not ask, and the channels send what was granted, as above.
"""

from __future__ import annotations

from dataclasses import dataclass

from enterprise.models import EnterpriseCustomer

Enforcement = EnterpriseCustomer.ConsentEnforcement


@dataclass(frozen=True)
class ConsentPolicy:
    enabled: bool
    enforcement: str

    @property
    def gates_exports(self) -> bool:
        """Only learners who granted consent for a course have that course's data sent."""
        return self.enabled

    @property
    def asks_learners(self) -> bool:
        """Learners answer on this app's consent page (not in the customer's own system)."""
        return self.enabled and self.enforcement != Enforcement.EXTERNALLY_MANAGED


def policy_for(customer: EnterpriseCustomer) -> ConsentPolicy:
    return ConsentPolicy(
        enabled=customer.enable_data_sharing_consent, enforcement=customer.enforce_data_sharing_consent
    )
