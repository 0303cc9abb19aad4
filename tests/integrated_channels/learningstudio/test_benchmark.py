"""The learningstudio_batch benchmark: the streamed document and the naive one say the same; sending works."""

from __future__ import annotations

import hashlib
import io

import pytest
from lxml import etree

from benchmarks import learningstudio_batch as bench
from integrated_channels.learningstudio import ims


def members(root) -> list[tuple[str, str]]:
    found = []
    for membership in root.findall(ims.q("membership")):
        course = membership.findtext(f"{ims.q('sourcedid')}/{ims.q('id')}")
        found += [(course, m.findtext(f"{ims.q('sourcedid')}/{ims.q('id')}")) for m in membership.iter(ims.q("member"))]
    return sorted(found)


def test_streamed_and_naive_documents_hold_the_same_persons_groups_and_memberships(monkeypatch):
    out = io.BytesIO()
    monkeypatch.setattr(bench, "MEMBERS_PER_ELEMENT", 7)
    ims.write_document(out, **bench.document_parts(0, 25, 3), source=bench.SOURCE, datasource="d", when=bench.WHEN)
    streamed = etree.fromstring(out.getvalue())
    sink = bench.CountingSink()
    ims.write_document(sink, **bench.document_parts(0, 25, 3), source=bench.SOURCE, datasource="d", when=bench.WHEN)

    assert sink.result() == (len(out.getvalue()), hashlib.sha256(out.getvalue()).hexdigest())
    assert len(streamed.findall(ims.q("person"))) == 25
    assert len(streamed.findall(ims.q("group"))) == 3
    assert len(members(streamed)) == 75
    assert bench.naive(25, 3)[0] > 0


@pytest.mark.django_db
def test_the_benchmark_sends_split_batches_to_the_fake():
    seconds, requests, received = bench.send(persons=30, courses=2, per_request=20)
    assert (requests, received) == (3, 60)
    assert seconds > 0


def test_measuring_in_a_child_reports_time_cpu_result_and_memory():
    run = bench.in_child(bench.streamed, 10, 2, repeat=3)
    assert run.seconds > 0 and run.cpu_seconds > 0 and run.result[0] > 0 and run.growth_mb >= 0
    assert len(run.measurement.runs) == 3 and run.measurement.peak_rss_mb >= run.growth_mb
    assert min(run.measurement.runs) <= run.seconds <= max(run.measurement.runs)


def test_the_baseline_builds_the_same_document_as_the_streamed_path(monkeypatch):
    monkeypatch.setattr(bench, "MEMBERS_PER_ELEMENT", 7)
    assert bench.same_document(25, 3)
    streamed_out = io.BytesIO()
    assert bench.streamed(25, 3, sink=streamed_out) == bench.naive(25, 3)
    assert streamed_out.getvalue() == bench.naive_document(25, 3)
    original = bench.person
    monkeypatch.setattr(
        bench, "person", lambda index: {**original(index), "tel": "0"} if index == 3 else original(index)
    )
    changed = bench.streamed(25, 3)
    monkeypatch.setattr(bench, "person", original)
    assert changed != bench.naive(25, 3)
