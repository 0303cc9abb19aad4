"""Payload hashes: the canonical JSON the audit compares is the JSON encoder's, made faster."""

import dataclasses
import datetime
import enum
import gc
import hashlib
import json
import random
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from integrated_channels.integrated_channel.exporters.gc_pause import gc_paused
from integrated_channels.integrated_channel.exporters.records import canonical_json, payload_hash


@dataclasses.dataclass
class _Point:
    x: int = 1


class _Status(enum.StrEnum):
    SENT = "sent"


class _Level(enum.IntEnum):
    HIGH = 3


PAYLOADS = [
    {"b": 1, "a": [1.5, 2e20, -0.0, 1e16, 0.1 + 0.2], "c": {"z": 'é\u2028"x\x1f\x7f\b\t', "y": None, "x": True}},
    {"when": timezone.now(), "day": datetime.date(2026, 12, 7), "at": datetime.time(1, 2), "hours": Decimal("0.10")},
    [{"k": 1}, "text", 3],
    "plain",
    None,
    (1, 2),
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678"), "point": _Point(), "set": {1}},
    {"status": _Status.SENT, "level": _Level.HIGH},
    {"ü": 1, "z": 2, "A": 3, "é": 4, "\U0001f600": 5},
    {1: "a key that is not a string"},  # orjson refuses it: the stdlib encoder hashes it
    {"big": 2**70},  # over 64 bits: the same
]


@pytest.mark.parametrize("payload", [*PAYLOADS, {"a": [1e-7]}])
def test_canonical_json_is_the_json_encoders_output_byte_for_byte(payload):
    encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    assert canonical_json(payload) == encoder.encode(payload)


def test_payload_hash_is_the_sha256_of_the_canonical_json():
    payload = {"userID": "sap-1", "grade": "Pass", "totalHours": 12.5}
    expected = hashlib.sha256(b'{"grade":"Pass","totalHours":12.5,"userID":"sap-1"}').hexdigest()
    assert payload_hash(payload) == expected


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_hash_hashes_the_canonical_json_bytes(payload):
    """orjson's bytes are canonical_json's: an audit's hashes stay valid (decision 0505)."""
    assert payload_hash(payload) == hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def test_payload_hash_floats_match_the_canonical_json_from_1e_4():
    rng = random.Random(7)
    values = [rng.choice((-1, 1)) * rng.uniform(1, 10) * 10 ** rng.randint(-4, 15) for _ in range(5000)]
    mismatched = [v for v in values if payload_hash(v) != hashlib.sha256(canonical_json(v).encode()).hexdigest()]
    assert mismatched == []


def test_payload_hash_of_a_small_float_differs_from_the_canonical_json():
    """The documented difference (decision 0505): under 1e-4 orjson writes 0.00001 where json writes 1e-05."""
    assert payload_hash(1e-5) == hashlib.sha256(b"0.00001").hexdigest()


def test_gc_paused_switches_the_collector_off_for_the_call_only():
    seen = []
    call = gc_paused(lambda: seen.append(gc.isenabled()))
    assert gc.isenabled()
    call()
    assert seen == [False]
    assert gc.isenabled()


def test_gc_paused_turns_the_collector_back_on_after_an_error():
    @gc_paused
    def failing():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing()
    assert gc.isenabled()


def test_gc_paused_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        gc_paused(lambda: None)()
        assert not gc.isenabled()
    finally:
        gc.enable()
