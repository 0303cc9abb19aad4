"""Forms of the Manage Learners page: what an operator submits, checked before any service runs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprise.app_settings import enterprise_settings
from enterprise.exceptions import UploadRefused
from enterprise.learner_forms import ConfirmUploadForm, EnrollmentFieldsMixin
from enterprise.services.csv_rows import check_upload_size

__all__ = ["ConfirmUploadForm", "EnrollmentFieldsMixin", "LinkLearnersForm", "SapUserIdsForm", "max_upload_text"]


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
