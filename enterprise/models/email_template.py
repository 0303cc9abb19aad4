"""Templates of the e-mails that tell learners they were enrolled."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.exceptions import TemplateRenderError
from enterprise.models.base import TimeStampedModel
from enterprise.models.customer import EnterpriseCustomer
from enterprise.templating import render_template, validate_template

# The admin replaces it with the placeholders of the template's type (enterprise/admin/email_template.py).
PLACEHOLDER_HELP = _("Text with the {placeholders} of the template's type. Write {{ and }} for literal braces.")


class EnrollmentNotificationEmailTemplate(TimeStampedModel):
    """Subject and bodies of an enrollment notification, per customer (or the default)."""

    class TemplateType(models.TextChoices):
        COURSE = "course", _("Course")
        PROGRAM = "program", _("Program")

    customer = models.ForeignKey(
        EnterpriseCustomer,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_templates",
        help_text=_("Leave empty for the default template used by customers without their own."),
    )
    template_type = models.CharField(max_length=16, choices=TemplateType.choices)
    subject_line = models.CharField(max_length=255, help_text=PLACEHOLDER_HELP)
    plaintext_template = models.TextField(help_text=PLACEHOLDER_HELP)
    html_template = models.TextField(blank=True, help_text=PLACEHOLDER_HELP)

    class Meta:
        verbose_name = _("enrollment notification email template")
        verbose_name_plural = _("enrollment notification email templates")
        constraints = [
            models.UniqueConstraint(fields=["customer", "template_type"], name="email_template_unique_per_customer"),
            models.UniqueConstraint(
                fields=["template_type"],
                condition=models.Q(customer__isnull=True),
                name="email_template_one_default_per_type",
                violation_error_message=_("There is already a default template of this type."),
            ),
        ]

    def __str__(self):
        owner = self.customer.name if self.customer_id else _("default")
        return f"{owner}: {self.get_template_type_display()}"

    def clean(self):
        super().clean()
        errors = {}
        for field in ("subject_line", "plaintext_template", "html_template"):
            try:
                validate_template(getattr(self, field) or "", self.template_type)
            except TemplateRenderError as exc:
                errors[field] = exc.message
            except KeyError:
                return  # an invalid template_type is reported by its own field
        if errors:
            raise ValidationError(errors)

    def render(self, context) -> dict[str, str]:
        """Return the subject, plain-text and HTML bodies for ``context``."""
        return {
            # Any line break (\r too, which Django's mail refuses in headers) becomes a space.
            "subject": " ".join(render_template(self.subject_line, self.template_type, context).splitlines()),
            "plaintext": render_template(self.plaintext_template, self.template_type, context),
            "html": render_template(self.html_template, self.template_type, context, html=True)
            if self.html_template
            else "",
        }
