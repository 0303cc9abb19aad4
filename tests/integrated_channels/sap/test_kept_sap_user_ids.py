"""Issue 22 item 6: learners whose SAP user id was kept by hand (never signed in) are sent; the kept id wins
over the one recorded at sign-in; a changed id is picked up by the next (incremental) run."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from enterprise.services import learner_ids
from tests.factories import StaffFactory
from tests.integrated_channels.factories import completed_enrollment

pytestmark = pytest.mark.django_db


def transmit():
    call_command("transmit_learner_data", api_user="staff", channel=["SAP"], stdout=io.StringIO())


def test_kept_ids_are_sent_and_a_change_is_sent_by_the_next_run(sap_config, fake_sap):
    StaffFactory(username="staff")
    never_signed_in = completed_enrollment(sap_config.customer)
    signed_in = completed_enrollment(sap_config.customer, remote_id="SSO-2")
    completed_enrollment(sap_config.customer)  # no id at all: skipped, reported
    learner_ids.set_by_email(
        customer=sap_config.customer, entries=[(never_signed_in.learner.user.email, "KEPT-1")], source="csv"
    )

    transmit()
    assert sorted(event["userID"] for event in fake_sap.events()) == ["KEPT-1", "SSO-2"]

    learner_ids.set_by_email(
        customer=sap_config.customer, entries=[(signed_in.learner.user.email, "KEPT-2")], source="api"
    )
    transmit()
    assert [event["userID"] for event in fake_sap.events()][2:] == ["KEPT-2"]  # only the changed one, once

    transmit()
    assert len(fake_sap.events()) == 3
