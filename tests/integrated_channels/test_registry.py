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
