from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from enterprise.admin.manage_learners import ManageLearners
from enterprise.models import EnterpriseCustomer, EnterpriseCustomerIdentityProvider, LearnerField
from enterprise.models import EnterpriseCustomerAdmin as CustomerAdministrator


class IdentityProviderInline(admin.TabularInline):
    model = EnterpriseCustomerIdentityProvider
    extra = 0
    fields = ("provider_id", "name")


class CustomerAdministratorInline(admin.TabularInline):
    """The users who administer this customer through the REST API (and see only it)."""

    model = CustomerAdministrator
    extra = 0
    raw_id_fields = ["user"]
    verbose_name = _("API administrator")
    verbose_name_plural = _(
        "API administrators (see and change only this customer through the REST API and the portal, /portal/)"
    )


class LearnerFieldInline(admin.TabularInline):
    """The customer's own learner fields ("active fields"), beside the built-in ones: mapped by
    connector imports, read by filters and exports, shown in the API's learner attributes."""

    model = LearnerField
    extra = 0
    fields = ("key", "label", "kind")
    verbose_name = _("learner field")
    verbose_name_plural = _(
        "Learner fields (besides the built-in e-mail, names, employee id, manager, department, job title, "
        "location, country, hire date; imported: filled by imports, cleared by 'do not import'; manual: kept)"
    )


@admin.register(EnterpriseCustomer)
class EnterpriseCustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "active", "country", "enable_data_sharing_consent", "created")
    list_filter = ("active", "enable_data_sharing_consent", "enforce_data_sharing_consent")
    search_fields = ("name", "slug", "=uuid", "identity_providers__provider_id")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("uuid", "created", "modified")
    inlines = [IdentityProviderInline, CustomerAdministratorInline, LearnerFieldInline]
    change_form_template = "admin/enterprise/enterprisecustomer/change_form.html"  # the Manage Learners button
    fieldsets = (
        (None, {"fields": ("uuid", "name", "slug", "active", "country")}),
        (_("Data-sharing consent"), {"fields": ("enable_data_sharing_consent", "enforce_data_sharing_consent")}),
        (_("History"), {"fields": ("created", "modified"), "classes": ("collapse",)}),
    )

    def get_urls(self):
        return ManageLearners(self).urls() + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        customer = self.get_object(request, object_id)
        if request.method == "GET" and customer is not None and not customer.enable_data_sharing_consent:
            messages.warning(
                request,
                _(
                    "Data-sharing consent is off for this customer: the data of all its learners is sent to "
                    "its integrated channels without their explicit consent."
                ),
            )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(EnterpriseCustomerIdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ("provider_id", "name", "customer")
    list_select_related = ("customer",)
    search_fields = ("provider_id", "name", "customer__name")
    autocomplete_fields = ("customer",)
