"""The channels' shared mapping helpers (integrated_channel/exporters/mapping.py): the fast paths
(decision 0425) give the same text and numbers as the plain conversions."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from integrated_channels.integrated_channel.exporters.mapping import iso_utc, percent, score


@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 12, 7, 4, 13, 55, 999999, tzinfo=datetime.UTC),
        datetime.datetime(2026, 12, 7, 4, 13, 55, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))),
        datetime.datetime(999, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
    ],
)
def test_iso_utc_is_strftime_of_the_utc_moment(moment):
    assert iso_utc(moment) == moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").rjust(20, "0")


def _item(grade="", pct=None):
    return SimpleNamespace(completion=SimpleNamespace(grade=grade, percent=pct))


@pytest.mark.parametrize(
    ("grade", "pct", "expected"),
    [
        ("0.87", None, 87.0),
        ("0.87", None, 87.0),  # the cached answer is the same
        ("Pass", None, None),
        ("1.5", None, None),
        ("NaN", None, None),
        ("0.12345", None, 12.34),  # half to even, as before
        ("Pass", Decimal("0.8"), 80.0),
        ("", 0.333, 33.3),
    ],
)
def test_percent_of_grades_and_percents(grade, pct, expected):
    assert percent(_item(grade, pct)) == expected
    value = score(_item(grade, pct))
    assert (None if value is None else float(round(value * 100, 2))) == expected
