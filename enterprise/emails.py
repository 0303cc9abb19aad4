"""E-mail addresses: one normalisation used everywhere (stripped, lower-cased)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from enterprise.exceptions import InvalidEmail


def normalize_email(email: str) -> str:
    """Return the e-mail address as this app stores and compares it."""
    return (email or "").strip().lower()


MAX_LENGTH = 254  # the address columns' length (RFC 5321's limit on a forward path's mailbox)


def clean_email(email: str) -> str:
    """Normalise and validate an e-mail address, raising ``InvalidEmail`` with the reason.

    The same rules as the bulk paths (``enterprise.services.bulk_link.email_error``), the length
    limit of the address columns included."""
    normalized = normalize_email(email)
    if not normalized:
        raise InvalidEmail("The e-mail address is empty.", email=email)
    if len(normalized) > MAX_LENGTH:
        raise InvalidEmail(f"{email!r} is longer than {MAX_LENGTH} characters.", email=email)
    try:
        validate_email(normalized)
    except ValidationError as exc:
        raise InvalidEmail(f"{email!r} is not a valid e-mail address.", email=email) from exc
    return normalized
