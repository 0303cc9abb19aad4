import pytest
from django.core.exceptions import ImproperlyConfigured

from enterprise.app_settings import DEFAULTS, enterprise_settings
from enterprise.conf import AppSettings


def test_defaults_apply_when_nothing_is_set(settings):
    settings.ENTERPRISE = {}
    assert DEFAULTS["ADMIN_ESTIMATED_COUNT_THRESHOLD"] == enterprise_settings.ADMIN_ESTIMATED_COUNT_THRESHOLD


def test_overrides_are_seen_after_setting_changed(settings):
    assert DEFAULTS["ADMIN_ESTIMATED_COUNT_THRESHOLD"] == enterprise_settings.ADMIN_ESTIMATED_COUNT_THRESHOLD
    settings.ENTERPRISE = {"ADMIN_ESTIMATED_COUNT_THRESHOLD": 7}
    assert enterprise_settings.ADMIN_ESTIMATED_COUNT_THRESHOLD == 7


def test_import_strings_are_resolved(settings):
    settings.ENTERPRISE = {"CATALOG_BACKEND": "enterprise.lms.local.backends.LocalCatalog"}
    from enterprise.lms.local.backends import LocalCatalog

    assert enterprise_settings.CATALOG_BACKEND is LocalCatalog


def test_unknown_names_are_an_error(settings):
    settings.ENTERPRISE = {"CATALOG_BACKENDS": "x"}
    with pytest.raises(ImproperlyConfigured, match="CATALOG_BACKENDS"):
        enterprise_settings.CATALOG_BACKEND  # noqa: B018


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError):
        enterprise_settings.NOT_A_SETTING  # noqa: B018


def test_bad_import_string_names_the_setting(settings):
    settings.ENTERPRISE = {"COMPLETION_BACKEND": "nowhere.Nothing"}
    with pytest.raises(ImproperlyConfigured, match="COMPLETION_BACKEND"):
        enterprise_settings.COMPLETION_BACKEND  # noqa: B018


def test_namespace_must_be_a_dict(settings):
    settings.OTHER_APP = ["not", "a", "dict"]
    with pytest.raises(ImproperlyConfigured, match="must be a dict"):
        AppSettings("OTHER_APP", {"X": 1}).X  # noqa: B018


def test_settings_are_not_read_at_import_time(settings):
    fresh = AppSettings("LATE_APP", {"X": 1})
    settings.LATE_APP = {"X": 2}
    assert fresh.X == 2
