"""The enrollment fields of Manage Learners and the confirmation of a previewed upload.

Shared by the admin's Manage Learners page (``enterprise.admin.manage_learners_forms``) and the
portal's Learners page: the same fields, the same checks, the same mapping of the services' typed
errors to fields. Neither front imports the other.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprise.exceptions import (
    CourseNotFound,
    EnrollmentTargetError,
    EnterpriseError,
    InvalidCourseMode,
    NotificationTemplateMissing,
    ProgramNotFound,
    UploadRefused,
    UserNotFound,
)
from enterprise.services.enrollment import all_modes


def _picker_attrs(kind: str) -> dict[str, str]:
    """A text input that suggests catalog entries (``<datalist id="KIND-choices">`` filled by the page's script)."""
    return {"class": "vTextField wide-id", "list": f"{kind}-choices", "data-picker": kind, "autocomplete": "off"}


class EnrollmentFieldsMixin(forms.Form):
    course_id = forms.CharField(
        label=_("Course ID"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs=_picker_attrs("course")),
        help_text=_(
            "Type part of the course's title or id and pick it from the list, or paste its id "
            "(e.g. course-v1:Org+CS101+2027)."
        ),
    )
    program_id = forms.CharField(
        label=_("Program ID"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs=_picker_attrs("program")),
        help_text=_(
            "Or a program: type part of its title or UUID and pick it, to enroll in every course of it. "
            "Fill in one of Course ID and Program ID."
        ),
    )
    course_mode = forms.CharField(
        label=_("Course Enrollment Mode"),
        required=False,
        max_length=100,
        widget=forms.Select,
        help_text=_("Follows the chosen course; for a program, a mode all its courses offer."),
    )
    notify = forms.BooleanField(
        label=_("Notify learners by e-mail"),
        required=False,
        help_text=_("Newly enrolled learners get the customer's enrollment notification e-mail."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        modes = all_modes()
        chosen = (self.data.get(self.add_prefix("course_mode")) or "").strip() if self.is_bound else ""
        if chosen and chosen not in modes:
            modes = [*modes, chosen]  # keep an operator's choice visible next to its error
        self.fields["course_mode"].widget.choices = [("", "---------"), *((mode, mode) for mode in modes)]
        self.fields["course_mode"].widget.attrs["data-all-modes"] = " ".join(all_modes())

    def clean(self):
        data = super().clean()
        if data.get("course_id") and data.get("program_id"):
            self.add_error("program_id", _("Fill in Course ID or Program ID, not both."))
        return data

    def enrollment_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "course_id": data.get("course_id", ""),
            "program_id": data.get("program_id", ""),
            "mode": data.get("course_mode", ""),
            "notify": bool(data.get("notify")),
        }

    #: Which field shows which typed error of the services.
    ERROR_FIELDS = (
        (UploadRefused, "bulk_upload_csv"),
        (UserNotFound, "email_or_username"),
        (CourseNotFound, "course_id"),
        (ProgramNotFound, "program_id"),
        (InvalidCourseMode, "course_mode"),
        (NotificationTemplateMissing, "notify"),
        (EnrollmentTargetError, None),
    )

    def add_service_error(self, exc: EnterpriseError) -> None:
        """Show a typed service error on the field it is about (or above the form)."""
        for error_type, name in self.ERROR_FIELDS:
            if isinstance(exc, error_type):
                self.add_error(name if name in self.fields else None, exc.message)
                return
        self.add_error(None, exc.message)


class ConfirmUploadForm(EnrollmentFieldsMixin):
    """The hidden fields that carry a previewed upload to its confirmation."""

    LINK, UNENROLL = "link", "unenroll"

    token = forms.CharField(widget=forms.HiddenInput)
    operation = forms.ChoiceField(
        choices=[(LINK, LINK), (UNENROLL, UNENROLL)], initial=LINK, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("course_id", "program_id", "course_mode", "notify"):
            self.fields[name].widget = forms.HiddenInput()
