"""Mapping of completions and courses to SAP SuccessFactors' OCN formats (pure functions of the inputs)."""

from __future__ import annotations

from functools import cached_property

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from enterprise.learner_fields import SAP_USER_ID
from enterprise.lms.completion import FAIL, IN_PROGRESS, PASS
from enterprise.models import EnterpriseCustomerUser, LearnerFieldChange, LearnerRemoteIdentity
from integrated_channels.integrated_channel.app_settings import channel_settings
from integrated_channels.integrated_channel.exporters.content_metadata import ContentMetadataExporter
from integrated_channels.integrated_channel.exporters.learner_data import LearnerCompletion, LearnerDataExporter
from integrated_channels.integrated_channel.exporters.records import epoch_millis

LAUNCH_IN_NEW_WINDOW = 3  # OCN launchType


def sap_grade(item: LearnerCompletion) -> str:
    """Pass / Fail / In Progress. A certificate's own grade (e.g. "0.92") means the learner passed."""
    completion = item.completion
    if not completion.complete:
        return IN_PROGRESS
    return completion.grade if completion.grade in (PASS, FAIL) else PASS


def course_hours(course) -> float:
    """The course's estimated effort in hours, for totalHours (0 when the catalog does not know it)."""
    return float(course.effort_hours) if course.effort_hours is not None else 0.0


class SAPLearnerDataExporter(LearnerDataExporter):
    needs_remote_id = True

    def remote_ids(self, user_ids=None) -> dict[int, str]:
        """The SAP user id kept by hand (the learner field, decision 0300), or else the one recorded at SAML
        sign-in; one query."""
        signed_in = LearnerRemoteIdentity.objects.filter(
            identity_provider__customer_id=self.customer.pk, user_id=OuterRef("user_id")
        )
        if self.configuration.identity_provider_id:
            signed_in = signed_in.filter(identity_provider_id=self.configuration.identity_provider_id)
        # With several identity providers, the one with the smallest provider id wins (stable).
        signed_in = signed_in.order_by("identity_provider__provider_id").values("remote_id")[:1]
        learners = EnterpriseCustomerUser.objects.filter(customer_id=self.customer.pk, linked=True)
        if user_ids is not None:
            learners = learners.filter(user_id__in=user_ids)
        rows = learners.annotate(signed_in=Subquery(signed_in)).values_list(
            "user_id", f"attributes__{SAP_USER_ID}", "signed_in"
        )
        return {user_id: str(kept or signed_in) for user_id, kept, signed_in in rows if kept or signed_in}

    def learners_with_ids_changed_since(self, since):
        return LearnerFieldChange.objects.filter(
            customer_id=self.customer.pk, key=SAP_USER_ID, created__gte=since
        ).values("learner_id")

    def reported_grade(self, item: LearnerCompletion) -> str:
        return sap_grade(item)

    @cached_property
    def _configured(self) -> tuple[str, bool, bool]:
        """(provider id, user mode, credit hours are the effort): read once, not per record."""
        configuration = self.configuration
        return (
            configuration.provider_id,
            configuration.user_mode,
            configuration.credit_hours == configuration.CreditHours.EFFORT,
        )

    def learner_payload(self, item: LearnerCompletion) -> dict:
        completion = item.completion
        completed = completion.complete
        # a completion's own date; for a record in progress, the enrollment's
        when = (completion.completed_at if completed else None) or item.enrolled_at or self.now
        hours = course_hours(item.course)
        provider_id, user_mode, effort_credits = self._configured
        return {
            "userID": item.remote_id,
            "courseID": item.course_id,
            "providerID": provider_id,
            # admin mode takes a JSON boolean, user mode the string "true" / "false"
            "courseCompleted": ("true" if completed else "false") if user_mode else completed,
            "completedTimestamp": epoch_millis(when),
            "grade": sap_grade(item),
            "totalHours": hours,
            "creditHours": hours if effort_credits else 0.0,
        }


class SAPContentMetadataExporter(ContentMetadataExporter):
    def _localized(self, value: str) -> list[dict]:
        return [{"locale": self.configuration.locale, "value": value}]

    def course_payload(self, course) -> dict:
        provider = self.configuration.provider_id
        launch_url = channel_settings.LMS_ROOT_URL.rstrip("/") + channel_settings.COURSE_URL_PATH.format(
            course_id=course.course_id
        )
        schedule = []
        if course.start is not None:
            now = self.now or timezone.now()
            entry = {
                "startDate": epoch_millis(course.start),
                "active": course.start <= now and (course.end is None or now <= course.end),
            }
            if course.end is not None:
                entry["endDate"] = epoch_millis(course.end)
            schedule.append(entry)
        return {
            "courseID": course.course_id,
            "providerID": provider,
            "status": "ACTIVE",
            "title": self._localized(course.title),
            "description": self._localized(course.description or course.title),
            "content": [
                {
                    "providerID": provider,
                    "launchURL": launch_url,
                    "contentTitle": course.title,
                    "contentID": course.course_id,
                    "launchType": LAUNCH_IN_NEW_WINDOW,
                    "mobileEnabled": False,
                }
            ],
            "schedule": schedule,
            "price": [],
            "revisionNumber": 1,
        }

    def inactive_payload(self, course_id: str, last_payload) -> dict:
        if isinstance(last_payload, dict) and last_payload.get("courseID") == course_id:
            return {**last_payload, "status": "INACTIVE"}
        return {
            "courseID": course_id,
            "providerID": self.configuration.provider_id,
            "status": "INACTIVE",
            "title": self._localized(course_id),
            "description": self._localized(course_id),
            "content": [],
            "schedule": [],
            "price": [],
            "revisionNumber": 1,
        }
