"""Forms of the portal's Learners page, checked before any service runs.

The enrollment fields (course or program picker, mode, notify) and the confirmation of a preview
are the admin's own (``enterprise.learner_forms``): same checks, same service errors on the same
fields.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprise.exceptions import (
    CourseNotFound,
    EnrollmentTargetError,
    InvalidCourseMode,
    NotificationTemplateMissing,
    ProgramNotFound,
    UploadRefused,
    UserNotFound,
)
from enterprise.learner_forms import ConfirmUploadForm, EnrollmentFieldsMixin
from enterprise.services.csv_rows import check_upload_size

__all__ = ["ConfirmForm", "LinkForm", "UnenrollSelectedForm"]

#: A previewed upload's token, its operation (link or unenroll) and enrollment fields, hidden.
ConfirmForm = ConfirmUploadForm


class LinkForm(EnrollmentFieldsMixin):
    """One e-mail address, or a CSV file of them (previewed before anything changes), and optionally
    a course or program to enroll them in (or to unenroll them from), with an e-mail.

    E-mail addresses only, like the REST API: a username would let a customer's administrator
    learn which usernames exist on the platform (decision 0331).
    """

    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        help_text=_("One learner. An address without an account becomes a pending learner."),
    )
    csv_file = forms.FileField(
        label=_("CSV file of e-mail addresses"),
        required=False,
        help_text=_(
            "One column of e-mail addresses; a header row is optional; UTF-8. "
            "You will see a preview of every row before anything changes."
        ),
    )

    field_order = ["email", "csv_file", "course_id", "program_id", "course_mode", "notify"]

    ERROR_FIELDS = (
        (UploadRefused, "csv_file"),
        (UserNotFound, "email"),
        (CourseNotFound, "course_id"),
        (ProgramNotFound, "program_id"),
        (InvalidCourseMode, "course_mode"),
        (NotificationTemplateMissing, "notify"),
        (EnrollmentTargetError, None),
    )

    def clean_csv_file(self):
        upload = self.cleaned_data.get("csv_file")
        if upload is not None:
            try:
                check_upload_size(upload.size)
            except UploadRefused as exc:
                raise forms.ValidationError(exc.message) from exc
        return upload

    def clean(self):
        data = super().clean()
        email, upload = data.get("email"), data.get("csv_file")
        if not email and not upload and not self.errors:
            raise forms.ValidationError(_("Enter an e-mail address or choose a CSV file."))
        if email and upload:
            raise forms.ValidationError(_("Enter one address or choose a CSV file, not both."))
        return data

    def target(self) -> dict[str, str]:
        """The course or program of an unenrollment."""
        return {name: self.cleaned_data.get(name, "") for name in ("course_id", "program_id")}


class UnenrollSelectedForm(forms.Form):
    """The course or program that the learners selected in the list leave."""

    course_id = forms.CharField(required=False, max_length=255)
    program_id = forms.CharField(required=False, max_length=255)
