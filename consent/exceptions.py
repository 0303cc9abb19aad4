"""Typed errors of the consent app."""

from enterprise.exceptions import EnterpriseError


class ConsentError(EnterpriseError):
    """Base of every error the consent app raises on purpose."""

    code = "consent_error"


class NotALearner(ConsentError, LookupError):
    """The user is not a linked learner of the customer: their answer is not theirs to give (decision 0052)."""

    code = "not_a_learner"
    default_message = (
        "Your account is not a learner of this organisation, so it cannot answer its data-sharing consent "
        "request. If you think it should be, ask the organisation to link your account."
    )
