"""The id a remote system gave a course this platform created there (decision 0280).

Degreed, Canvas, Blackboard and Moodle answer a created course with their own id, and updating or
withdrawing it later needs that id. One row per (configuration, course): written when the remote
system accepted the course, read set-based (one query per batch) by the channel's client.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from integrated_channels.integrated_channel.models.configuration import ChannelConfiguration


class RemoteCourseQuerySet(models.QuerySet):
    def ids_for(self, configuration, course_ids) -> dict[str, str]:
        """The remote ids of ``course_ids`` known for ``configuration``, by course id (one query)."""
        rows = self.filter(configuration_id=configuration.pk, course_id__in=list(course_ids))
        return dict(rows.values_list("course_id", "remote_id"))

    def remember(self, configuration, course_id: str, remote_id: str) -> None:
        self.update_or_create(
            configuration_id=configuration.pk, course_id=course_id, defaults={"remote_id": str(remote_id)}
        )

    def forget(self, configuration, course_id: str) -> None:
        self.filter(configuration_id=configuration.pk, course_id=course_id).delete()


class RemoteCourse(models.Model):
    configuration = models.ForeignKey(ChannelConfiguration, on_delete=models.CASCADE, related_name="remote_courses")
    course_id = models.CharField(max_length=255)
    remote_id = models.CharField(max_length=255, help_text=_("The course's id in the remote system."))
    modified = models.DateTimeField(auto_now=True)

    objects = RemoteCourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("remote course")
        verbose_name_plural = _("remote courses")
        constraints = [
            models.UniqueConstraint(fields=["configuration", "course_id"], name="remote_course_unique_course"),
            models.CheckConstraint(condition=~models.Q(remote_id=""), name="remote_course_has_id"),
        ]

    def __str__(self):
        return f"{self.configuration_id}/{self.course_id}: {self.remote_id}"
