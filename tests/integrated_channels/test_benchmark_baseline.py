"""The transmit benchmark's per-row baseline does the same job as the set-based selection."""

import pytest

from benchmarks import transmit
from tests.fakes.sap import FakeSAPSuccessFactors

pytestmark = pytest.mark.django_db


def test_baseline_and_selection_agree_on_the_benchmark_data():
    with FakeSAPSuccessFactors() as fake:
        data = transmit.build(300, fake)

    assert data["enrollments"] == 300
    selected = transmit.select_all()
    assert 0 < selected < 300
    assert transmit.select_per_row() == selected
    assert transmit.select_per_row(limit=10) <= 10
