"""Course feedback: a learner's star rating (1 to 5) and optional comment on a course they are enrolled in.

The host LMS keeps it (``CompletionBackend.record_feedback`` / ``get_feedback``; the local backend
in its own table, one row per learner and course). This service checks what only this app knows:
the learner is linked to the customer and enrolled in the course through it. Reports (the Power
BI training report) read it back with ``feedback_by_course``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from enterprise.exceptions import InvalidFeedback, NotEnrolled
from enterprise.lms import get_completion_backend
from enterprise.lms.interfaces import RATING_MAX, RATING_MIN, UserCourse
from enterprise.models import EnterpriseCourseEnrollment, EnterpriseCustomer

COMMENT_MAX = 4000


@dataclass(frozen=True)
class FeedbackRecorded:
    user_id: int
    course_id: str
    rating: int
    comment: str
    created: bool


@dataclass(frozen=True)
class CourseFeedbackSummary:
    """Per course: how many learners gave feedback and their average rating (None when nobody did)."""

    count: int = 0
    average: Decimal | None = None


def record_course_feedback(
    customer: EnterpriseCustomer, *, user_id: int, course_id: str, rating: int, comment: str = ""
) -> FeedbackRecorded:
    """Record (or replace) the feedback of a learner of ``customer`` on a course they are enrolled in."""
    if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
        raise InvalidFeedback(f"A rating is a whole number from {RATING_MIN} to {RATING_MAX}.")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise InvalidFeedback(f"A comment holds at most {COMMENT_MAX} characters.")
    enrolled = (
        EnterpriseCourseEnrollment.objects.enrolled()
        .filter(learner__customer=customer, learner__linked=True, learner__user_id=user_id, course_id=course_id)
        .exists()
    )
    if not enrolled:
        raise NotEnrolled(
            f"User {user_id} is not a learner of {customer.name} enrolled in {course_id}.",
            user_id=user_id,
            course_id=course_id,
        )
    created = get_completion_backend().record_feedback(
        user_id=user_id, course_id=course_id, rating=rating, comment=comment
    )
    return FeedbackRecorded(user_id, course_id, rating, comment, created)


def feedback_by_course(keys: Iterable[UserCourse]) -> dict[str, CourseFeedbackSummary]:
    """Summaries per course of the feedback on the (user id, course id) pairs (e.g. a customer's enrollments)."""
    ratings: dict[str, list[int]] = {}
    for (_user_id, course_id), feedback in get_completion_backend().get_feedback(keys).items():
        ratings.setdefault(course_id, []).append(feedback.rating)
    return {
        course_id: CourseFeedbackSummary(
            len(values), (Decimal(sum(values)) / len(values)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        )
        for course_id, values in ratings.items()
    }
