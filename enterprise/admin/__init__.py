"""Django admin of the enterprise app, one module per concept."""

from enterprise.admin import (  # noqa: F401
    customer,
    email_template,
    enrollment,
    learner,
    notification,
    portal_action,
    price,
)
