"""Forms of the portal's Learners page, checked before any service runs."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enterprise.exceptions import EnterpriseError, UploadRefused
from enterprise.services.csv_rows import check_upload_size


class LinkForm(forms.Form):
    """One e-mail address, or a CSV file of them (previewed before anything changes).

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

    def add_service_error(self, exc: EnterpriseError) -> None:
        """A typed service error, on the field it is about."""
        field = "csv_file" if isinstance(exc, UploadRefused) else None
        self.add_error(field, exc.message)


class ConfirmForm(forms.Form):
    """The signed token of a previewed upload (``upload_store``): bound to its customer."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=2000)
