"""The drops' errors: one hierarchy under the framework's ChannelError, codes the runs record."""

import pytest

from integrated_channels.integrated_channel import exceptions
from integrated_channels.integrated_channel.transports import drop, drop_errors, hostkeys


@pytest.mark.parametrize(
    "error",
    [
        drop_errors.LoginRefused,
        drop_errors.HostKeyRefused,
        hostkeys.HostKeyMismatch,
        drop_errors.FileTooLarge,
        drop_errors.TransferFailed,
        drop_errors.CertificateRefused,
        drop_errors.AddressNotAllowed,
    ],
)
def test_every_drop_error_is_a_drop_error_and_a_channel_error(error):
    raised = error("sftp.example refused")

    assert isinstance(raised, drop.DropError) and isinstance(raised, exceptions.ChannelError)
    assert str(raised) == "sftp.example refused" and not raised.transient


def test_a_refused_login_is_not_the_http_transports_authentication_failed():
    assert not issubclass(drop_errors.LoginRefused, exceptions.AuthenticationFailed)
    assert drop_errors.LoginRefused.code == "auth_failed"


def test_a_host_key_mismatch_is_recorded_as_a_refused_host_key():
    assert hostkeys.HostKeyMismatch.code == drop_errors.HostKeyRefused.code == "host_key_refused"


def test_one_message_for_a_file_over_the_limit_whatever_the_drop():
    error = drop_errors.FileTooLarge.over_limit("me@sftp.example:22", "in/a.csv", 76, 60)

    assert (error.code, str(error)) == (
        "file_too_large",
        "in/a.csv on me@sftp.example:22 is 76 bytes, over the limit of 60 bytes per file "
        "(setting SFTP_MAX_FILE_BYTES): nothing was imported or deleted.",
    )
