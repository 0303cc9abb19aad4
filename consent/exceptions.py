"""Typed errors of the consent app."""

from enterprise.exceptions import EnterpriseError


class ConsentError(EnterpriseError):
    """Base of every error the consent app raises on purpose."""

    code = "consent_error"
