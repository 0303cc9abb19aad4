"""Issue 22 item 6: every user-import connector maps the built-in learner field "SAP user id"; the changes it
makes are audited, and SAP runs pick them up (the merge leaves the learner's modification time alone)."""

import pytest

from enterprise.learner_fields import BUILT_IN, SAP_USER_ID
from enterprise.models import EnterpriseCustomerUser, LearnerFieldChange
from integrated_channels.integrated_channel.imports.sources import CsvFilesSource
from tests.factories import LearnerFactory, UserFactory
from tests.integrated_channels.imports.test_pipeline import run_import
from tests.integrated_channels.sftp.factories import SFTPConfigurationFactory

pytestmark = pytest.mark.django_db


def test_the_sap_user_id_is_a_built_in_mappable_audited_field():
    field = next(field for field in BUILT_IN if field.key == SAP_USER_ID)
    assert (field.label, field.audited, field.mandatory, field.clear_when_not_imported) == (
        "SAP user id",
        True,
        False,
        False,
    )


def test_an_import_sets_sap_user_ids_and_records_each_change():
    config = SFTPConfigurationFactory()
    ann = LearnerFactory(customer=config.customer, user=UserFactory(email="ann@example.com"))
    bob = LearnerFactory(
        customer=config.customer, user=UserFactory(email="bob@example.com"), attributes={SAP_USER_ID: "B"}
    )
    source = CsvFilesSource({"people.csv": b"Mail,SAP\nann@example.com,A\nbob@example.com,B\nnew@example.com,N\n"})

    _counts, run = run_import(config, source, mapping={"email": "Mail", SAP_USER_ID: "SAP"})

    assert EnterpriseCustomerUser.objects.get(pk=ann.pk).attributes[SAP_USER_ID] == "A"
    assert EnterpriseCustomerUser.objects.get(pk=bob.pk).attributes[SAP_USER_ID] == "B"
    assert list(LearnerFieldChange.objects.values_list("learner_id", "old_value", "new_value", "source", "run_id")) == [
        (ann.pk, "", "A", "import", run.pk)
    ]
