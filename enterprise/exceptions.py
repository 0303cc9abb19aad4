"""Typed errors of the enterprise app.

Everything raised on purpose by this app derives from ``EnterpriseError``. ``transient`` says
whether trying again later can help (a remote LMS that timed out) or not (a bad course id).
"""

from __future__ import annotations


class EnterpriseError(Exception):
    """Base of every error this app raises on purpose."""

    transient = False
    default_message = "Enterprise operation failed."
    code = "error"

    def __init__(self, message: str | None = None, **context):
        self.message = message or self.default_message
        self.context = context
        super().__init__(self.message)


class LinkConflict(EnterpriseError):
    """The learner is already linked to another customer (one customer per learner)."""

    code = "conflict"
    default_message = "The learner is already linked to another enterprise customer."


class PendingEmailConflict(EnterpriseError):
    """The e-mail address is already pending for another customer."""

    code = "conflict"
    default_message = "The e-mail address is already pending for another enterprise customer."


class UserNotFound(EnterpriseError, LookupError):
    code = "user_not_found"
    default_message = "No user matches."


class AmbiguousEmail(EnterpriseError, LookupError):
    code = "ambiguous_email"
    default_message = "Several users share this e-mail address."


class InvalidEmail(EnterpriseError, ValueError):
    code = "invalid_email"
    default_message = "Not a valid e-mail address."


class TemplateRenderError(EnterpriseError, ValueError):
    """An e-mail template has broken syntax or names a placeholder that does not exist."""

    code = "invalid_template"


class LMSError(EnterpriseError):
    """Base of the errors of the host-LMS backends (catalog, enrollment, completion)."""

    code = "lms_error"


class SubsectionGradesUnavailable(LMSError):
    """The completion backend keeps no per-subsection grades (assessment-level data)."""

    code = "subsection_grades_unavailable"
    default_message = "The completion backend keeps no per-subsection grades."


class CourseNotFound(LMSError, LookupError):
    code = "course_not_found"
    default_message = "No such course."


class ProgramNotFound(LMSError, LookupError):
    code = "program_not_found"
    default_message = "No such program."


class InvalidCourseMode(LMSError, ValueError):
    """The mode is not offered; ``available_modes`` lists the ones that are."""

    code = "invalid_mode"

    def __init__(self, mode: str, available_modes, course_id: str | None = None, program_id: str | None = None):
        self.mode = mode
        self.available_modes = sorted(available_modes)
        where = f" for course {course_id}" if course_id else f" for program {program_id}" if program_id else ""
        available = ", ".join(self.available_modes) or "none"
        super().__init__(
            f"Enrollment mode {mode!r} is not available{where}. Available modes: {available}.",
            mode=mode,
            available_modes=self.available_modes,
            course_id=course_id,
            program_id=program_id,
        )


class LMSUnavailable(LMSError):
    """The host LMS could not be reached or answered with a server error; retrying may help."""

    transient = True
    code = "lms_unavailable"
    default_message = "The host LMS is unavailable."


class UnenrollmentFailed(LMSError):
    """The host LMS refused to deactivate some enrollments; they stay enrolled here too."""

    code = "unenrollment_failed"
    default_message = "The host LMS refused to unenroll some enrollments."


class FeedbackNotSupported(LMSError):
    """The host LMS keeps no course feedback (its backend does not implement ``record_feedback``)."""

    code = "feedback_not_supported"
    default_message = "The host LMS does not record course feedback."


class InvalidFeedback(EnterpriseError, ValueError):
    """A rating outside 1 to 5, or a comment over its length."""

    code = "invalid_feedback"
    default_message = "Not valid course feedback."


class NotEnrolled(EnterpriseError, LookupError):
    """Course feedback for a course the learner is not enrolled in (through this customer)."""

    code = "not_enrolled"
    default_message = "The learner is not enrolled in this course."


class UploadRefused(EnterpriseError, ValueError):
    """An uploaded CSV is too large, has too many rows, is not UTF-8 text or holds no address."""

    code = "upload_refused"
    default_message = "The file was refused."


class UploadTooLarge(UploadRefused):
    """An upload larger than ``UPLOAD_MAX_BYTES``, stopped before it was read (``enterprise.uploads``)."""


class SubmissionBusy(EnterpriseError):
    """Concurrent submissions on the same learners kept deadlocking this one: nothing was applied."""

    code = "busy"
    default_message = (
        "Other submissions were changing the same learners at the same time: nothing was applied. "
        "Submit again in a moment."
    )


class UploadExpired(EnterpriseError, LookupError):
    """A stored upload or report is gone or its token is too old or forged: upload the file again."""

    code = "upload_expired"
    default_message = "This upload has expired or is unknown: upload the file again."


class EnrollmentTargetError(EnterpriseError, ValueError):
    """The course or program of a Manage Learners submission cannot be used as given."""

    code = "invalid_enrollment_target"


class NotificationTemplateMissing(EnterpriseError, LookupError):
    """Neither the customer nor the defaults have an enrollment notification template of the type."""

    code = "notification_template_missing"
