import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.core.exceptions import ValidationError
from django.db import connection

from integrated_channels.integrated_channel.checks import check_registered_channels
from integrated_channels.integrated_channel.registry import registry
from integrated_channels.integrated_channel.services import dispatch
from integrated_channels.integrated_channel.transports import hostkeys
from integrated_channels.sftp import mapping
from integrated_channels.sftp.models import SFTPConfiguration
from tests.integrated_channels.sftp.factories import FINGERPRINT, SFTPConfigurationFactory

pytestmark = pytest.mark.django_db


def new_key():
    key = ed25519.Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    public_line = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return private, public_line.decode()


def test_registered_without_transmit_parts_and_checks_stay_clean():
    channel = registry.get("SFTP")
    assert channel.get_configuration_model() is SFTPConfiguration
    assert not channel.exports_learner_data and not channel.exports_content
    assert check_registered_channels(None) == []


def test_transmit_plans_skip_sftp_connections():
    config = SFTPConfigurationFactory()
    assert config.channel == "SFTP"
    assert config not in dispatch.plan(kind="learner_data")
    assert config not in dispatch.plan(kind="learner_data", channel_codes=["SFTP"])
    assert config not in dispatch.plan(kind="content_metadata")


def test_password_and_private_key_are_stored_encrypted():
    private, _public = new_key()
    config = SFTPConfigurationFactory(private_key=private)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT password, private_key FROM sftp_sftpconfiguration WHERE channelconfiguration_ptr_id = %s",
            [config.pk],
        )
        password, key = cursor.fetchone()
    assert "s3cret" not in password and "PRIVATE KEY" not in key
    config.refresh_from_db()
    assert config.password == "s3cret-sftp-password" and config.private_key == private
    assert set(config.secrets()) == {"s3cret-sftp-password", private}


def test_a_password_or_a_key_is_required_and_the_key_must_parse():
    config = SFTPConfigurationFactory.build(password="", private_key="")
    with pytest.raises(ValidationError) as error:
        config.full_clean(exclude=["customer"])
    assert "password" in error.value.message_dict

    config = SFTPConfigurationFactory.build(password="", private_key="-----BEGIN OPENSSH PRIVATE KEY-----\nnope\n")
    with pytest.raises(ValidationError) as error:
        config.full_clean(exclude=["customer"])
    assert "private key" in error.value.message_dict["private_key"][0]

    private, _public = new_key()
    SFTPConfigurationFactory.build(password="", private_key=private).full_clean(exclude=["customer"])


@pytest.mark.parametrize("value", ["", "MD5:aa:bb", "SHA256:short", "SHA256:" + "!" * 43])
def test_fingerprint_format_is_validated(value):
    config = SFTPConfigurationFactory.build(host_key_fingerprint=value)
    with pytest.raises(ValidationError) as error:
        config.full_clean(exclude=["customer"])
    assert "host_key_fingerprint" in error.value.message_dict


def test_fingerprint_is_normalised_like_ssh_keygen_prints_it():
    config = SFTPConfigurationFactory.build(host_key_fingerprint=" " + "A" * 43 + "= ")
    config.full_clean(exclude=["customer"])
    assert config.host_key_fingerprint == FINGERPRINT


def test_host_key_verification_accepts_the_stored_key_and_refuses_others():
    _private, public = new_key()
    _other, other_public = new_key()
    blob = base64.b64decode(public.split()[1])
    stored = hostkeys.fingerprint_of_openssh_line(public)
    assert hostkeys.FINGERPRINT_RE.match(stored)
    hostkeys.verify(expected=stored, public_key_blob=blob, host="sftp.example")
    other_blob = base64.b64decode(other_public.split()[1])
    with pytest.raises(hostkeys.HostKeyMismatch, match=r"sftp.example refused: it has fingerprint SHA256:"):
        hostkeys.verify(expected=stored, public_key_blob=other_blob, host="sftp.example")
    with pytest.raises(hostkeys.HostKeyMismatch, match="none is set"):
        hostkeys.verify(expected="", public_key_blob=blob, host="sftp.example")


def test_mandatory_attributes_must_be_mapped_before_activating():
    config = SFTPConfigurationFactory.build(attribute_mapping={"manager": "Manager"})
    with pytest.raises(ValidationError) as error:
        config.full_clean(exclude=["customer"])
    assert "email" in error.value.message_dict["active"][0]
    assert config.run_errors() == ["Mandatory attributes not mapped: email."]

    config.active = False  # an inactive connection may be saved half-mapped
    config.full_clean(exclude=["customer"])
    config.attribute_mapping["email"] = "Email"
    assert config.run_errors() == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([["email", "Email"]], "must be an object"),
        ({"email": "Email", "shoe_size": "Shoe"}, "Unknown attribute 'shoe_size'"),
        ({"email": "Email", "manager": ""}, "Attribute 'manager': the column must be a non-empty name"),
        ({"email": "Email", "manager": 3}, "Attribute 'manager'"),
        ({"email": "Mail", "manager": "Mail"}, "Column 'Mail' is mapped to both 'email' and 'manager'"),
    ],
)
def test_mapping_shape_is_validated(value, message):
    with pytest.raises(ValidationError, match=message):
        mapping.validate_mapping(value)


def test_do_not_import_attributes_are_not_read():
    value = {"email": "Email", "manager": "Boss", "department": None}
    mapping.validate_mapping(value)
    assert mapping.imported(value) == {"email": "Email", "manager": "Boss"}


def test_missing_columns_are_named_with_the_file():
    value = {"email": "Email", "manager": "Boss"}
    assert mapping.check_columns(value, ["Email", "Name"], source="import/user/internal/a.csv") == [
        "import/user/internal/a.csv: column 'Boss' (mapped to 'manager') is missing."
    ]


def test_manager_must_map_to_a_column_of_emails():
    value = {"email": "Email", "manager": "Boss"}
    rows = [{"Email": "a@example.com", "Boss": "b@example.com"}, {"Email": "c@example.com", "Boss": "Bob Smith"}]
    assert mapping.check_email_columns(value, rows, source="a.csv") == [
        "a.csv, row 3, column 'Boss': 'Bob Smith' is not an e-mail address (attribute 'manager' must map to a "
        "column of e-mails)."
    ]


def test_admin_change_page_never_shows_secrets(admin_client):
    config = SFTPConfigurationFactory()
    response = admin_client.get(f"/admin/sftp/sftpconfiguration/{config.pk}/change/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "s3cret-sftp-password" not in body
    assert "<code>email</code> (mandatory)" in body and 'name="attribute_mapping__manager"' in body


def test_manager_filter_needs_the_manager_attribute_and_emails():
    config = SFTPConfigurationFactory.build(attribute_mapping={"email": "Email"}, import_under_managers="a@x.com")
    with pytest.raises(ValidationError, match="Map the manager attribute"):
        config.full_clean(exclude=["customer"])
    config = SFTPConfigurationFactory.build(import_under_managers="a@x.com\nBob\n")
    with pytest.raises(ValidationError, match="Not e-mail addresses: bob"):
        config.full_clean(exclude=["customer"])
    config = SFTPConfigurationFactory.build(import_under_managers=" A@x.com \n\n")
    config.full_clean(exclude=["customer"])
    assert config.manager_filter() == {"a@x.com"}
