"""What every channel configuration (a *connection*) shares: the customer, the channel, its name,
the enable switch, who is told when a run ends.

Each channel adds its own fields (endpoints, credentials) in a child model of
``ChannelConfiguration`` (multi-table inheritance, decision 0020): the shared row gives runs,
audit rows, tokens and schedules a real foreign key whatever the channel. A customer may have any
number of connections of one channel, told apart by their name: the database holds one per
(customer, channel, name) (decision 0171).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.models import EnterpriseCustomer
from integrated_channels.integrated_channel.registry import registry


class ChannelConfigurationQuerySet(models.QuerySet):
    def transmittable(self):
        """Active configurations of active customers: the ones runs send data for."""
        return self.filter(active=True, customer__active=True)

    def specific(self) -> list[ChannelConfiguration]:
        """The channel-specific configuration of each row, one query per channel."""
        rows = list(self.values_list("pk", "channel"))
        by_channel: dict[str, list[int]] = {}
        for pk, code in rows:
            by_channel.setdefault(code, []).append(pk)
        found = {}
        for code, pks in by_channel.items():
            model = registry.get(code).get_configuration_model()
            found.update({obj.pk: obj for obj in model.objects.select_related("customer").filter(pk__in=pks)})
        return [found[pk] for pk, _code in rows if pk in found]


def split_emails(text: str) -> list[str]:
    """The addresses of a notification list: one per line or separated by commas or semicolons."""
    return [part.strip() for part in (text or "").replace(";", ",").replace("\n", ",").split(",") if part.strip()]


def validate_email_list(text: str) -> None:
    bad = []
    for address in split_emails(text):
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError(_("Not e-mail addresses: %(values)s.") % {"values": ", ".join(bad)}, code="invalid")


class ChannelConfiguration(models.Model):
    """A customer's connection of one channel. Subclassed by every channel (never used alone)."""

    #: Set by each channel's subclass: the code it registered under.
    CHANNEL_CODE = ""
    #: Fields holding a URL the customer's administrators set and this platform connects to: each must be
    #: https (http only when allowed) and not name a local or private address (``addresses``, decision 0151).
    REMOTE_URL_FIELDS: tuple[str, ...] = ()
    #: Fields holding a host name this platform connects to (an SFTP server): not local or private either.
    REMOTE_HOST_FIELDS: tuple[str, ...] = ()
    #: The fields whose host receives the stored secrets: when it changes, the secrets must be entered again
    #: (a changed host never receives the secrets typed for another one, decision 0152).
    CREDENTIALS_SENT_TO: tuple[str, ...] = ()
    #: Fields naming the user a secret goes with (HTTP Basic ``user:secret``, a login): for redaction.
    SECRET_USER_FIELDS: tuple[str, ...] = ()
    DEFAULT_NAME = "default"

    class NotifyWhen(models.TextChoices):
        NEVER = "never", _("Never")
        FAILURES = "failures", _("When a run fails")
        ERRORS = "errors", _("When a run fails or ends with errors")
        ALWAYS = "always", _("When any run ends")

    channel = models.CharField(max_length=32, editable=False, db_index=True)
    customer = models.ForeignKey(
        EnterpriseCustomer,
        on_delete=models.CASCADE,
        related_name="channel_configurations",
        verbose_name=_("enterprise customer"),
    )
    name = models.CharField(
        max_length=100,
        default=DEFAULT_NAME,
        verbose_name=_("connection name"),
        help_text=_(
            "Tells this connection from the customer's other connections of the same connector. The run history "
            "is kept under it: a connection deleted and created again with the same name shows its runs again."
        ),
    )
    active = models.BooleanField(
        default=False,
        verbose_name=_("enabled"),
        help_text=_("Only enabled connections (of active customers) run. Turn on once the fields are right."),
    )
    notify_emails = models.TextField(
        blank=True,
        validators=[validate_email_list],
        verbose_name=_("notify e-mails"),
        help_text=_("Contact addresses told when a run ends (one per line, or separated by commas)."),
    )
    notify_when = models.CharField(
        max_length=16,
        choices=NotifyWhen.choices,
        default=NotifyWhen.NEVER,
        verbose_name=_("notify when"),
        help_text=_("Which run endings are e-mailed to the contact addresses."),
    )
    send_in_progress = models.BooleanField(
        default=False,
        help_text=_(
            'Also send enrollments that are not complete yet (grade "In Progress"). By default only '
            "completions are sent."
        ),
    )
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = ChannelConfigurationQuerySet.as_manager()

    class Meta:
        verbose_name = _("channel configuration")
        verbose_name_plural = _("channel configurations")
        ordering = ["customer__name", "channel", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel", "name"],
                name="channel_config_unique_name",
                violation_error_message=_("This customer already has a connection of this connector with this name."),
            )
        ]

    def __str__(self):
        if self.name and self.name != self.DEFAULT_NAME:
            return f"{self.customer} - {self.channel_name} ({self.name})"
        return f"{self.customer} - {self.channel_name}"

    def save(self, *args, **kwargs):
        if not self.channel:
            self.channel = self.CHANNEL_CODE
        super().save(*args, **kwargs)

    @property
    def transmittable(self) -> bool:
        """Enabled, of an active customer: what ``objects.transmittable()`` selects, the ones that run."""
        return self.active and self.customer.active

    @property
    def channel_name(self) -> str:
        try:
            return registry.get(self.channel or self.CHANNEL_CODE).name
        except LookupError:
            return self.channel

    def validate_constraints(self, exclude=None):
        # The form never shows ``channel``: set it before the unique (customer, channel, name) check runs.
        if not self.channel:
            self.channel = self.CHANNEL_CODE
        if exclude and "channel" in exclude:
            exclude = set(exclude) - {"channel"}
        super().validate_constraints(exclude=exclude)

    def get_channel(self):
        return registry.get(self.channel or self.CHANNEL_CODE)

    def specific(self) -> ChannelConfiguration:
        """This configuration as its channel's own model (itself when it already is)."""
        model = self.get_channel().get_configuration_model()
        if isinstance(self, model):
            return self
        return model.objects.select_related("customer").get(pk=self.pk)

    def notify_addresses(self) -> list[str]:
        return split_emails(self.notify_emails)

    def rule_errors(self) -> dict[str, str]:
        """Field errors of rules between a channel's own fields (checked on save by the admin, the REST API
        and ``connections apply``). Channels override it; none by default."""
        return {}

    def secrets(self) -> list[str]:
        """The stored secrets of this configuration, for redaction in messages. Channels extend it."""
        return []

    def secret_users(self) -> list[str]:
        """The user names the secrets go with (Base64 of ``user:secret`` is redacted too)."""
        return [value for name in self.SECRET_USER_FIELDS if (value := getattr(self, name, ""))]

    def clean(self):
        super().clean()
        from integrated_channels.integrated_channel import addresses

        errors = addresses.configuration_errors(self)
        errors.update(self.rule_errors())
        self.name = (self.name or "").strip()
        if not self.name:
            errors["name"] = _("Give the connection a name.")
        if errors:
            raise ValidationError(errors)
