"""A customer's SAP SuccessFactors tenant: where to send, with which credentials, in which mode."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from enterprise.models import EnterpriseCustomerIdentityProvider
from integrated_channels.integrated_channel.models import ChannelConfiguration

MAX_EVENTS_PER_CALL = 10  # SAP's learning-event services take arrays of up to 10 records


class SAPSuccessFactorsConfiguration(ChannelConfiguration):
    """The seed's "SAP SuccessFactors Enterprise Customer Configuration"."""

    CHANNEL_CODE = "SAP"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url",)
    SECRET_USER_FIELDS = ("client_id", "sap_user_id")

    class UserType(models.TextChoices):
        ADMIN = "admin", _("Admin")
        USER = "user", _("User")

    class CreditHours(models.TextChoices):
        EFFORT = "effort", _("The course's effort hours, as totalHours (default)")
        NONE = "none", _("None: 0 (the tenant awards credits its own way)")

    class CompletionMode(models.TextChoices):
        ADMIN = "admin", _("Admin: the configuration's own token posts learning events (default)")
        USER = "user", _("User: each learner's own token posts their learning event (self-submission tenants)")

    base_url = models.URLField(
        verbose_name=_("SAP SuccessFactors base URL"),
        help_text=_("Root of the tenant's API, e.g. https://acme.sapsf.com/ (the API paths are added to it)."),
    )
    company_id = models.CharField(max_length=255, verbose_name=_("company id"))
    client_id = models.CharField(max_length=255, verbose_name=_("OAuth client id"))
    client_secret = EncryptedTextField(verbose_name=_("OAuth client secret"))
    sap_user_id = models.CharField(
        max_length=255, verbose_name=_("SAP user id"), help_text=_("The SAP user the configuration's token is for.")
    )
    user_type = models.CharField(
        max_length=8,
        choices=UserType.choices,
        default=UserType.ADMIN,
        help_text=_(
            'Type of that SAP user. Completion mode "admin" needs "admin"; so does sending courses, in either mode.'
        ),
    )
    provider_id = models.CharField(
        max_length=100, default="EDX", help_text=_("Provider id of this platform in the tenant (providerID).")
    )
    completion_mode = models.CharField(max_length=8, choices=CompletionMode.choices, default=CompletionMode.ADMIN)
    events_per_call = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EVENTS_PER_CALL)],
        help_text=_(
            "Completions sent per call in admin mode (1 to 10). Tenants that accept arrays of learning events "
            "need 10 times fewer calls with 10."
        ),
    )
    calls_per_minute = models.PositiveIntegerField(
        default=100, help_text=_("Rate limit of this tenant (SAP's published default is 100); 0 for none.")
    )
    identity_provider = models.ForeignKey(
        EnterpriseCustomerIdentityProvider,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "The customer's identity provider whose remote ids are SAP user ids. Empty: any of the "
            "customer's identity providers."
        ),
    )
    locale = models.CharField(max_length=32, default="English", help_text=_("Locale of exported course titles."))
    credit_hours = models.CharField(
        max_length=8,
        choices=CreditHours.choices,
        default=CreditHours.EFFORT,
        verbose_name=_("credit hours sent"),
        help_text=_(
            "What completions report as creditHours. totalHours is always the course's estimated effort in hours "
            "(0 when the catalog does not know it)."
        ),
    )

    class Meta:
        verbose_name = _("SAP SuccessFactors enterprise customer configuration")
        verbose_name_plural = _("SAP SuccessFactors enterprise customer configurations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(events_per_call__gte=1, events_per_call__lte=MAX_EVENTS_PER_CALL),
                name="sap_events_per_call_range",
            )
        ]

    def clean(self):
        super().clean()
        if self.identity_provider_id and self.customer_id and self.identity_provider.customer_id != self.customer_id:
            raise ValidationError({"identity_provider": _("This identity provider belongs to another customer.")})

    def rule_errors(self) -> dict[str, str]:
        """Admin completions are posted with the configuration's own token, to an endpoint SAP opens only to
        administrators: user type "user" there fails every run with a 400 (issue 22 item 7)."""
        errors = super().rule_errors()
        if self.completion_mode == self.CompletionMode.ADMIN and self.user_type != self.UserType.ADMIN:
            errors["user_type"] = _(
                'Completion mode "admin" posts learning events with this configuration\'s own token, which SAP '
                'accepts only for an administrator: choose user type "admin", or completion mode "user" if the '
                "tenant requires each learner to submit their own."
            )
        return errors

    def secrets(self) -> list[str]:
        return [self.client_secret]

    @property
    def user_mode(self) -> bool:
        return self.completion_mode == self.CompletionMode.USER
