"""What the Cornerstone views do: authenticate a poll, serve the published course list, record a launch."""

from __future__ import annotations

import base64
import binascii
import datetime
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from enterprise.models import EnterpriseCustomerUser
from integrated_channels.cornerstone.catalog import listed
from integrated_channels.cornerstone.models import (
    CornerstoneConfiguration,
    CornerstoneLearnerSession,
    validate_callback_path,
)
from integrated_channels.integrated_channel.exceptions import ChannelError
from integrated_channels.integrated_channel.models import ContentTransmissionAudit, TransmissionStatus

MAX_COUNT = 1000


class CornerstoneRefused(ChannelError):
    code = "cornerstone_refused"


def _basic(header: str) -> tuple[str, str] | None:
    if not header.startswith("Basic "):
        return None
    try:
        user, sep, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def polling_connection(*, ciid: str, name: str, authorization: str) -> CornerstoneConfiguration | None:
    """The enabled connection whose catalog credentials the poll presents (None: refuse with 401)."""
    credentials = _basic(authorization or "")
    if credentials is None:
        return None
    try:
        configuration = CornerstoneConfiguration.objects.select_related("customer").get(
            customer__uuid=ciid, name=name or CornerstoneConfiguration.DEFAULT_NAME, active=True, customer__active=True
        )
    except (CornerstoneConfiguration.DoesNotExist, ValidationError, ValueError):
        secrets.compare_digest("x", "y")  # the same work whether the customer exists or not
        return None
    user_ok = secrets.compare_digest(credentials[0].encode(), configuration.catalog_user.encode())
    password_ok = secrets.compare_digest(credentials[1].encode(), configuration.catalog_password.encode())
    return configuration if user_ok and password_ok and configuration.catalog_password else None


@dataclass(frozen=True)
class CourseList:
    entries: list[dict]
    last_modified: datetime.datetime | None


def course_list(
    configuration: CornerstoneConfiguration,
    *,
    launch_url,
    since: datetime.datetime | None = None,
    count: int = MAX_COUNT,
) -> CourseList:
    """The courses the last content runs published (one query), changed since ``since`` when given."""
    rows = ContentTransmissionAudit.objects.filter(
        configuration_id=configuration.pk, status=TransmissionStatus.SENT
    ).order_by("course_id")
    if since is not None:  # HTTP dates have whole seconds: "modified since" means from the next second on
        rows = rows.filter(sent_at__gte=since.replace(microsecond=0) + datetime.timedelta(seconds=1))
    rows = list(rows.values_list("course_id", "payload", "sent_at")[: max(1, min(count, MAX_COUNT))])
    entries = [listed(payload, launch_url=launch_url(course_id), modified=sent) for course_id, payload, sent in rows]
    return CourseList(entries, max((sent for _c, _p, sent in rows), default=None))


def record_launch(
    configuration: CornerstoneConfiguration, *, user, course_id: str, params
) -> CornerstoneLearnerSession:
    """Keep what Cornerstone sent with a learner's launch; ``CornerstoneRefused`` when it cannot be kept."""
    if not EnterpriseCustomerUser.objects.filter(
        customer_id=configuration.customer_id, user=user, linked=True
    ).exists():
        raise CornerstoneRefused("You are not a learner of this organisation on this platform.")
    guid, token, callback = (params.get(name, "").strip() for name in ("userGuid", "sessionToken", "callbackUrl"))
    if not (guid and token and callback):
        raise CornerstoneRefused("Cornerstone did not send userGuid, sessionToken and callbackUrl.")
    try:
        validate_callback_path(callback)
    except ValidationError as exc:
        raise CornerstoneRefused(exc.messages[0]) from exc
    session, _created = CornerstoneLearnerSession.objects.update_or_create(
        configuration=configuration,
        user=user,
        course_id=course_id,
        defaults={
            "user_guid": guid[:255],
            "session_token": token,
            "callback_path": callback[:255],
            "subdomain": params.get("subdomain", "")[:255],
            "modified": timezone.now(),
        },
    )
    return session
