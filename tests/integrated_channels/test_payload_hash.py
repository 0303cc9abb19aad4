"""Payload hashes: the canonical JSON the audit compares is the JSON encoder's, made faster."""

import json
from decimal import Decimal

import pytest
from django.utils import timezone

from integrated_channels.integrated_channel.exporters.records import canonical_json, payload_hash


@pytest.mark.parametrize(
    "payload",
    [
        {"b": 1, "a": [1.5, 2e20, -0.0, 1e-7], "c": {"z": 'é\u2028"x', "y": None, "x": True}},
        {"when": timezone.now(), "hours": Decimal("0.10")},
        [{"k": 1}, "text", 3],
        "plain",
        None,
    ],
)
def test_canonical_json_is_the_json_encoders_output_byte_for_byte(payload):
    encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    assert canonical_json(payload) == encoder.encode(payload)


def test_payload_hash_is_the_sha256_of_the_canonical_json():
    import hashlib

    payload = {"userID": "sap-1", "grade": "Pass", "totalHours": 12.5}
    expected = hashlib.sha256(b'{"grade":"Pass","totalHours":12.5,"userID":"sap-1"}').hexdigest()
    assert payload_hash(payload) == expected
