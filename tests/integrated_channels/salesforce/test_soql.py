"""The one SOQL string literal helper of the Salesforce connectors (import and records export), and the
fake org's reading of it."""

from __future__ import annotations

import pytest

from integrated_channels.salesforce.soql import quote
from tests.fakes.salesforce import SoqlError, unquote


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", "'plain'"),
        ("C:\\share", "'C:\\\\share'"),
        ("O'Neil", "'O\\'Neil'"),
        ("two\nlines", "'two\\nlines'"),
        ("cr\r tab\t bs\b ff\f", "'cr\\r tab\\t bs\\b ff\\f'"),
        ("\\'", "'\\\\\\''"),  # a backslash before a quote: both escaped, the quote never ends the literal
        ('say "hi"', "'say \"hi\"'"),
    ],
)
def test_quote_escapes_backslash_quote_and_control_characters(value, literal):
    assert quote(value) == literal
    assert "\n" not in quote(value) and "\r" not in quote(value)


@pytest.mark.parametrize("value", ["C:\\share", "O'Neil", "two\nlines", "\\'", "end\\", "'", "tab\tcr\r"])
def test_the_fake_org_reads_back_what_quote_wrote(value):
    assert unquote(quote(value)) == value


def test_the_fake_org_refuses_an_escape_soql_does_not_have():
    with pytest.raises(SoqlError, match="escape"):
        unquote("'a\\x'")
