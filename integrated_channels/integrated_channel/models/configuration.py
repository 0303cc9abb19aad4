"""What every channel configuration shares: the customer, the channel, the active flag.

Each channel adds its own fields (endpoints, credentials) in a child model of
``ChannelConfiguration`` (multi-table inheritance, decision 0020): the shared row gives runs,
audit rows and tokens a real foreign key whatever the channel, and the database holds one
configuration per channel per customer.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
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


class ChannelConfiguration(models.Model):
    """A customer's configuration of one channel. Subclassed by every channel (never used alone)."""

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

    channel = models.CharField(max_length=32, editable=False, db_index=True)
    customer = models.ForeignKey(
        EnterpriseCustomer,
        on_delete=models.CASCADE,
        related_name="channel_configurations",
        verbose_name=_("enterprise customer"),
    )
    active = models.BooleanField(
        default=False,
        help_text=_("Only active configurations (of active customers) send data. Turn on once the fields are right."),
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
        ordering = ["customer__name", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "channel"],
                name="channel_config_one_per_customer",
                violation_error_message=_("This customer already has a configuration for this channel."),
            )
        ]

    def __str__(self):
        return f"{self.customer} - {self.channel_name}"

    def save(self, *args, **kwargs):
        if not self.channel:
            self.channel = self.CHANNEL_CODE
        super().save(*args, **kwargs)

    @property
    def channel_name(self) -> str:
        try:
            return registry.get(self.channel or self.CHANNEL_CODE).name
        except LookupError:
            return self.channel

    def validate_constraints(self, exclude=None):
        # The form never shows ``channel``: set it before the unique (customer, channel) check runs.
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
        if errors:
            raise ValidationError(errors)
