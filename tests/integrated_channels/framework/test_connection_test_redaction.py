"""Test connection redacts a secret in every encoding a remote may echo it in, not only as typed."""

from __future__ import annotations

import pytest

from integrated_channels.integrated_channel.services.connections import test_connection


@pytest.mark.django_db
def test_a_secret_echoed_in_an_escaped_form_is_redacted(echo):
    # The echo connector's test quotes the token with repr(), which doubles a backslash: a plain
    # replace of the token as typed would leave it in the message.
    echo.token = "C:\\keys\\wrong-token"
    echo.save()
    result = test_connection(echo)
    assert not result.ok
    assert "wrong-token" not in result.message
    assert "[redacted]" in result.message
