"""The one redaction module: every encoding of a secret, tokens added later, credentials in any form."""

import base64
import json
import urllib.parse

from enterprise import redaction

SECRET = 'pa/ss+w"ord é&='


def test_every_encoding_of_a_secret_is_replaced():
    redact = redaction.Redactor([SECRET], users=["user-1"])
    encoded = [
        SECRET,
        urllib.parse.quote(SECRET, safe=""),
        urllib.parse.quote(SECRET, safe="").lower(),
        urllib.parse.quote_plus(SECRET),
        json.dumps(SECRET)[1:-1],
        json.dumps(SECRET, ensure_ascii=False)[1:-1],
        json.dumps(SECRET)[1:-1].replace("/", "\\/"),
        repr(SECRET)[1:-1],
        "pa/ss+w&quot;ord é&amp;=",
        base64.b64encode(SECRET.encode()).decode(),
        base64.b64encode(f"user-1:{SECRET}".encode()).decode(),
        base64.b64encode(f"user-1:{SECRET}".encode("latin-1")).decode(),
        base64.urlsafe_b64encode(f"user-1:{SECRET}".encode()).decode().rstrip("="),
    ]
    for text in encoded:
        assert redact(f"<{text}>") == "<[redacted]>", text


def test_two_secrets_together_are_replaced_in_basic_form():
    redact = redaction.Redactor(["lrs-key", "lrs-secret"])
    assert redact(base64.b64encode(b"lrs-key:lrs-secret").decode()) == "[redacted]"


def test_short_values_and_ordinary_text_are_left_alone():
    redact = redaction.Redactor(["abc", "", None])
    assert not redact
    assert redact("abc is not redacted: too short to be a secret") == "abc is not redacted: too short to be a secret"
    assert redact(None) is None


def test_tokens_added_later_and_generic_credentials():
    redact = redaction.Redactor()
    redact.add("tok-123456")
    assert redact("Authorization: Bearer tok-123456") == "Authorization: Bearer [redacted]"
    assert redact("url redis://:hunter22@broker:6379/0") == "url redis://:[redacted]@broker:6379/0"
    assert redact("Token abcdef123 and Basic dXNlcjpwYXNz") == "Token [redacted] and Basic [redacted]"
    prose = "SAP token request failed: Basic Authentication refused; bearer tokens expire"
    assert redact(prose) == prose


def test_an_excerpt_is_redacted_before_it_is_cut():
    """A secret cut in two by the excerpt's length would otherwise leave its first half."""
    redact = redaction.Redactor(["0123456789abcdef"])
    text = "x" * 195 + "0123456789abcdef and more"
    assert "01234" not in redaction.excerpt(text, redact, 200)
