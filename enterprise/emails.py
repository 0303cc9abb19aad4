"""E-mail addresses: one normalisation used everywhere (stripped, lower-cased)."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from enterprise.exceptions import InvalidEmail


def normalize_email(email: str) -> str:
    """Return the e-mail address as this app stores and compares it."""
    return (email or "").strip().lower()


def clean_email(email: str) -> str:
    """Normalise and validate an e-mail address, raising ``InvalidEmail`` with the reason."""
    normalized = normalize_email(email)
    if not normalized:
        raise InvalidEmail("The e-mail address is empty.", email=email)
    try:
        validate_email(normalized)
    except ValidationError as exc:
        raise InvalidEmail(f"{email!r} is not a valid e-mail address.", email=email) from exc
    return normalized
