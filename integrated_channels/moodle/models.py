"""A customer's Moodle site: its web services endpoint, how to authenticate, where courses go."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from enterprise.fields import EncryptedTextField
from integrated_channels.integrated_channel.models import ChannelConfiguration

FINAL_GRADE_ASSIGNMENT = "(edX integration) Final Grade"
MAX_COURSES_PER_CALL = 50


class MoodleConfiguration(ChannelConfiguration):
    """The seed's Moodle configuration (edx-enterprise ``MOODLE``)."""

    CHANNEL_CODE = "MOODLE"
    REMOTE_URL_FIELDS = CREDENTIALS_SENT_TO = ("base_url",)
    SECRET_USER_FIELDS = ("username",)

    base_url = models.URLField(
        verbose_name=_("Moodle base URL"),
        help_text=_("The site's root, e.g. https://moodle.acme.com (webservice/rest/server.php is added to it)."),
    )
    service_short_name = models.CharField(
        max_length=255,
        verbose_name=_("web service short name"),
        help_text=_("Short name of the external service enabled for this platform (Site administration → Server)."),
    )
    token = EncryptedTextField(
        blank=True,
        verbose_name=_("web service token"),
        help_text=_("A token of the web service user for that service. Empty: one is obtained with the login below."),
    )
    username = models.CharField(max_length=255, blank=True, verbose_name=_("web service user name"))
    password = EncryptedTextField(blank=True, verbose_name=_("web service user password"))
    category_id = models.PositiveIntegerField(
        default=1, verbose_name=_("course category id"), help_text=_("The Moodle category exported courses go in.")
    )
    grade_assignment_name = models.CharField(
        max_length=255,
        default=FINAL_GRADE_ASSIGNMENT,
        help_text=_(
            "Name of the assignment, in each course's first section, that receives the learners' grades "
            "(create it in Moodle once the course exists)."
        ),
    )
    courses_per_call = models.PositiveSmallIntegerField(
        default=MAX_COURSES_PER_CALL,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_COURSES_PER_CALL)],
        help_text=_("Courses created or updated per call (1 to 50)."),
    )
    calls_per_minute = models.PositiveIntegerField(default=0, help_text=_("Rate limit of the site; 0 for none."))

    class Meta:
        verbose_name = _("Moodle configuration")
        verbose_name_plural = _("Moodle configurations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(courses_per_call__gte=1, courses_per_call__lte=MAX_COURSES_PER_CALL),
                name="moodle_courses_per_call_range",
            )
        ]

    def clean(self):
        super().clean()
        if not self.token and not (self.username and self.password):
            raise ValidationError(_("Enter a web service token, or the user name and password to obtain one."))

    def secrets(self) -> list[str]:
        return [value for value in (self.token, self.password) if value]
