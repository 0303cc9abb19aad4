"""Forms of the Manage Learners page: what an operator submits, checked before any service runs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprise.app_settings import enterprise_settings
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
from enterprise.services.csv_rows import check_upload_size
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


class LinkLearnersForm(EnrollmentFieldsMixin):
    email_or_username = forms.CharField(
        label=_("Email or username"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"class": "vTextField wide-id"}),
        help_text=_("One learner. An e-mail address without an account becomes a pending learner."),
    )
    bulk_upload_csv = forms.FileField(
        label=_("CSV file of e-mail addresses"),
        required=False,
        help_text=_(
            "One column of e-mail addresses; a header row is optional; UTF-8. "
            "You will see a preview of every row before anything changes."
        ),
    )

    field_order = ["email_or_username", "bulk_upload_csv", "course_id", "program_id", "course_mode", "notify"]

    def clean_bulk_upload_csv(self):
        upload = self.cleaned_data.get("bulk_upload_csv")
        if upload is not None:
            try:
                check_upload_size(upload.size)
            except UploadRefused as exc:
                raise forms.ValidationError(exc.message) from exc
        return upload

    def clean(self):
        data = super().clean()
        single, upload = (data.get("email_or_username") or "").strip(), data.get("bulk_upload_csv")
        if not single and not upload and "bulk_upload_csv" not in self.errors:
            raise forms.ValidationError(_("Enter an e-mail address or username, or choose a CSV file."))
        if single and upload:
            raise forms.ValidationError(_("Enter one learner or choose a CSV file, not both."))
        return data


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


class SapUserIdsForm(forms.Form):
    """A CSV of (e-mail, SAP user id) rows: the learners' ids in the customer's SAP SuccessFactors."""

    sap_user_ids_csv = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Two columns: e-mail address, SAP user id (a header row is optional; UTF-8). An empty SAP user id "
            "clears the learner's. Learners must be linked; each change is recorded."
        ),
    )
    check_only = forms.BooleanField(
        label=_("Only check the file"), required=False, help_text=_("Report what would change; change nothing.")
    )

    def clean_sap_user_ids_csv(self):
        upload = self.cleaned_data["sap_user_ids_csv"]
        try:
            check_upload_size(upload.size)
        except UploadRefused as exc:
            raise forms.ValidationError(exc.message) from exc
        return upload


def max_upload_text() -> str:
    limit = enterprise_settings.MANAGE_LEARNERS_MAX_UPLOAD_BYTES
    return f"{limit / (1024 * 1024):.0f} MB, {enterprise_settings.MANAGE_LEARNERS_MAX_ROWS:,} rows"
