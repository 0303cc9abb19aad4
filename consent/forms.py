from django import forms
from django.utils.translation import gettext_lazy as _


class ConsentForm(forms.Form):
    GRANT, DECLINE = "grant", "decline"

    enterprise_customer_uuid = forms.UUIDField(widget=forms.HiddenInput)
    course_id = forms.CharField(max_length=255, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
    failure_url = forms.CharField(required=False, widget=forms.HiddenInput)
    answer = forms.ChoiceField(choices=[(GRANT, _("I agree")), (DECLINE, _("I do not agree"))])
