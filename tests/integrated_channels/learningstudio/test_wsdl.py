"""zeep loads the project's own WSDL and the real service's with the same binding and operations."""

from __future__ import annotations

from pathlib import Path

import pytest
import zeep

from integrated_channels.learningstudio.client import BINDING
from integrated_channels.learningstudio.models import DEFAULT_WSDL
from tests.fakes.learningstudio import REFERENCE_WSDL


def operations(path) -> dict[str, str]:
    binding = zeep.Client(str(path)).wsdl.bindings[BINDING]
    return {name: operation.soapaction for name, operation in binding._operations.items()}


def test_the_project_wsdl_is_shipped_in_the_package_and_is_not_the_reference_file():
    assert DEFAULT_WSDL.is_file()
    assert DEFAULT_WSDL.parent.parent == Path(__file__).resolve().parents[3] / "integrated_channels" / "learningstudio"
    if REFERENCE_WSDL.exists():
        assert DEFAULT_WSDL.read_bytes() != REFERENCE_WSDL.read_bytes()


@pytest.mark.skipif(not REFERENCE_WSDL.exists(), reason="the reference WSDL (../shared/data/learningstudio) is absent")
def test_both_wsdls_have_the_same_binding_and_soap_actions():
    ours, reference = operations(DEFAULT_WSDL), operations(REFERENCE_WSDL)
    assert ours == reference
    assert ours["ProcessSingleRequest"] == "http://CampusApi.eCollege.com/UserManagement/V1_6/ProcessSingleRequest"
