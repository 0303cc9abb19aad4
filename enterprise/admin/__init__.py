"""Django admin of the enterprise app, one module per concept."""

from enterprise.admin import customer, email_template, enrollment, learner, notification, price  # noqa: F401
