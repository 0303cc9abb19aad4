"""Issue 22 item 7: a SAP configuration whose user type does not fit its completion mode is refused when
saved — in the admin, the REST API and ``connections apply`` — not at run time with SAP's 400."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from integrated_channels.integrated_channel.services import connection_files
from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration
from tests.integrated_channels.factories import SAPConfigurationFactory
from tests.integrated_channels.test_admin import sap_form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("completion_mode", "user_type", "refused"),
    [("admin", "admin", False), ("admin", "user", True), ("user", "admin", False), ("user", "user", False)],
)
def test_the_model_refuses_a_user_type_that_does_not_fit_the_completion_mode(completion_mode, user_type, refused):
    config = SAPConfigurationFactory.build(
        customer=SAPConfigurationFactory().customer, name="other", completion_mode=completion_mode, user_type=user_type
    )

    if refused:
        with pytest.raises(ValidationError) as info:
            config.full_clean()
        assert list(info.value.message_dict) == ["user_type"]
        assert 'choose user type "admin"' in info.value.message_dict["user_type"][0]
    else:
        config.full_clean()


def test_the_admin_shows_the_error_on_the_user_type_and_saves_nothing(staff_client):
    config = SAPConfigurationFactory()
    change = reverse("admin:sap_success_factors_sapsuccessfactorsconfiguration_change", args=[config.pk])

    page = staff_client.post(change, sap_form(config, user_type="user"))

    assert page.status_code == 200
    assert page.context["adminform"].form.errors["user_type"][0].startswith('Completion mode "admin" posts')
    assert SAPSuccessFactorsConfiguration.objects.get(pk=config.pk).user_type == "admin"
    assert staff_client.post(change, sap_form(config, user_type="user", completion_mode="user")).status_code == 302


def test_connections_apply_refuses_it():
    customer = SAPConfigurationFactory().customer
    item = {
        "connector": "SAP",
        "customer": customer.slug,
        "name": "second",
        "settings": {
            "base_url": "http://127.0.0.1:9/",
            "company_id": "ACME",
            "client_id": "client",
            "sap_user_id": "sfadmin",
            "user_type": "user",
        },
        "credentials": {"client_secret": "s3cret"},
    }

    with pytest.raises(connection_files.ConnectionFileRefused) as info:
        connection_files.apply([item])

    assert [error.split(": ", 2)[2].split(" posts")[0] for error in info.value.errors] == [
        'settings.user_type: Completion mode "admin"'
    ]
