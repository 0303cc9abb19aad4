import pytest

from integrated_channels.integrated_channel.registry import Channel, ChannelNotRegistered, ChannelRegistry


def make(code="TEST", name="Test channel"):
    return Channel(code=code, name=name, app_label=code.lower())


def test_register_get_and_choices_sorted_by_code():
    registry = ChannelRegistry()
    registry.register(make("SAP", "SAP SuccessFactors"))
    registry.register(make("LEARNINGSTUDIO", "Pearson LearningStudio"))
    assert registry.get("sap").name == "SAP SuccessFactors"
    assert registry.as_choices() == [("LEARNINGSTUDIO", "Pearson LearningStudio"), ("SAP", "SAP SuccessFactors")]


def test_unknown_code_lists_the_registered_ones():
    registry = ChannelRegistry()
    registry.register(make("SAP"))
    with pytest.raises(ChannelNotRegistered, match="Registered channels: SAP"):
        registry.get("XAPI")


def test_two_channels_cannot_share_a_code():
    registry = ChannelRegistry()
    registry.register(make("SAP", "one"))
    registry.register(make("SAP", "one"))  # registering the same description again is harmless
    with pytest.raises(ValueError, match="already registered"):
        registry.register(make("SAP", "two"))


def test_codes_are_upper_case():
    with pytest.raises(ValueError, match="upper-case"):
        ChannelRegistry().register(make("sap"))


def test_installed_channels_registered_themselves_with_their_parts():
    from integrated_channels.integrated_channel.registry import registry
    from integrated_channels.sap_success_factors.client import SAPSuccessFactorsClient
    from integrated_channels.sap_success_factors.models import SAPSuccessFactorsConfiguration

    assert {"SAP", "TEST"} <= set(registry.codes())
    sap = registry.get("SAP")
    assert sap.get_configuration_model() is SAPSuccessFactorsConfiguration
    assert sap.get_client_class() is SAPSuccessFactorsClient
    assert sap.exports_content and sap.get_content_exporter_class() is not None
    assert ("SAP", "SAP SuccessFactors") in registry.as_choices()


def test_system_check_reports_a_channel_whose_parts_cannot_be_loaded():
    from integrated_channels.integrated_channel.checks import check_registered_channels
    from integrated_channels.integrated_channel.registry import registry

    registry.register(Channel(code="BROKEN", name="Broken", app_label="broken", configuration_model="nope.Nope"))
    try:
        errors = check_registered_channels(None)
    finally:
        registry.unregister("BROKEN")

    assert [e.id for e in errors] == ["integrated_channels.E002"]
    assert "BROKEN" in errors[0].msg
    assert check_registered_channels(None) == []


def test_system_check_reports_a_model_that_is_not_a_channel_configuration():
    from integrated_channels.integrated_channel.checks import check_registered_channels
    from integrated_channels.integrated_channel.registry import registry

    registry.register(
        Channel(
            code="ODD",
            name="Odd",
            app_label="odd",
            configuration_model="enterprise.EnterpriseCustomer",
            client="integrated_channels.testing.client.TestChannelClient",
            learner_exporter="integrated_channels.testing.exporters.TestLearnerDataExporter",
        )
    )
    try:
        errors = check_registered_channels(None)
    finally:
        registry.unregister("ODD")

    assert [e.id for e in errors] == ["integrated_channels.E001"]
