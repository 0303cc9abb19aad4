"""``python -m benchmarks learningstudio_batch --memberships 100000``: LearningStudio batch documents.

Persons enrolled in ``--courses`` courses (memberships / courses persons), as the channel sends a
batch: an IMS Enterprise 1.1 ``enterprise`` document with properties, persons, groups and
memberships grouped by course. Measures, each in a forked child process so that the peak memory of
one does not hide the other's:

- the streamed build (``seconds=``): ``ims.write_document`` fed by generators, writing one small
  element at a time with ``lxml.etree.xmlfile`` into a sink that counts the bytes;
- the naive baseline (``baseline_seconds=``): the same document (same parts, same elements)
  built as a whole tree in memory, then serialized. The streamed writer repeats the default
  namespace on each top-level element (``xmlfile``), so the bytes differ; before measuring, both
  builders' documents for the first 50 persons are checked to be the same XML (canonical form, C14N 2.0);
- then the send: the same memberships split into ProcessRequest calls of ``--per-request``
  memberships, each streamed into zeep's envelope (WS-Security digest) and posted to the fake
  service of ``tests/fakes/learningstudio.py`` (which checks each one and answers a job id).

Peak memory is the growth of the child's resident set during the step (``/proc/self/clear_refs``
resets the high-water mark), reported as ``peak_mb=`` and ``baseline_peak_mb=``.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import time

from benchmarks.harness import Measurement, Report, report, setup_django

SOURCE = "bench"
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
MEMBERS_PER_ELEMENT = 1000
BENCH_PASSWORD = "bench-password"  # noqa: S105 (the fake service's, made up)


class CountingSink:
    """A binary file that keeps nothing: it counts what is written."""

    def __init__(self):
        self.bytes = 0

    def write(self, data) -> int:
        self.bytes += len(data)
        return len(data)


def person(index: int) -> dict:
    return {
        "id": f"p{index}",
        "userid": f"learner{index}",
        "given": "Given",
        "family": f"Family{index}",
        "email": f"learner{index}@example.com",
        # the optional person details of learner attributes (decision 0101), as a full person carries them
        "demographics": {"gender": "female" if index % 2 else "male", "bday": "1990-01-01"},
        "tel": f"303-555-{index % 10000:04d}",
        "adr": {"street": [f"{index} Main Street"], "locality": "Denver", "region": "CO", "pcode": "80000"},
        "properties": [["department", "Sales"]],
    }


def course(index: int) -> str:
    return f"Spr26_Course_{index:03d}"


def document_parts(first: int, last: int, courses: int, role: int = 2) -> dict:
    """Generators of one document: persons first..last-1, enrolled in every course."""

    def memberships():
        for c in range(courses):
            for start in range(first, last, MEMBERS_PER_ELEMENT):
                stop = min(start + MEMBERS_PER_ELEMENT, last)
                yield course(c), ((f"p{i}", role) for i in range(start, stop))

    return {
        "persons": (person(i) for i in range(first, last)),
        "courses": (course(c) for c in range(courses)),
        "memberships": memberships(),
    }


def streamed(persons: int, courses: int, sink=None) -> int:
    """Bytes of the document streamed by ``ims.write_document`` (into ``sink``, else counted only)."""
    from integrated_channels.learningstudio import ims

    sink = sink if sink is not None else CountingSink()
    ims.write_document(sink, **document_parts(0, persons, courses), source=SOURCE, datasource="bench", when=WHEN)
    return sink.bytes if isinstance(sink, CountingSink) else sink.tell()


def naive_document(persons: int, courses: int) -> bytes:
    """The same document as a whole tree in memory, then serialized (what a straightforward builder does)."""
    from lxml import etree

    from integrated_channels.learningstudio import ims

    parts = document_parts(0, persons, courses)
    root = etree.Element(ims.q("enterprise"), nsmap=ims.NSMAP)
    root.append(ims.properties_element(datasource="bench", when=WHEN))
    for item in parts["persons"]:
        root.append(ims.person_element(item, source=SOURCE))
    for course_id in parts["courses"]:
        root.append(ims.group_element(course_id, source=SOURCE))
    for course_id, members in parts["memberships"]:
        root.append(ims.membership_element(course_id, members, source=SOURCE))
    return etree.tostring(root, encoding="utf-8", xml_declaration=False)


def naive(persons: int, courses: int) -> int:
    return len(naive_document(persons, courses))


def same_document(persons: int, courses: int) -> bool:
    """Whether both builders make the same XML (canonical forms equal) for ``persons`` persons."""
    import io

    from lxml import etree

    out = io.BytesIO()
    streamed(persons, courses, sink=out)
    return etree.canonicalize(xml_data=out.getvalue().decode()) == etree.canonicalize(
        xml_data=naive_document(persons, courses).decode()
    )


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _child(func, args, queue) -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")  # reset the peak resident set to the current one
    except OSError:
        pass
    before = _rss_kb("VmRSS")
    start = time.perf_counter()
    size = func(*args)
    seconds = time.perf_counter() - start
    peak = _rss_kb("VmHWM")
    queue.put((seconds, size, max(peak - before, 0) / 1024, peak / 1024))


def in_child(func, *args) -> tuple[float, int, float, Measurement]:
    """(seconds, bytes, peak growth in MB, the measurement) of ``func(*args)`` run in a forked child."""
    import os

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(func, args, queue))
    load_before = os.getloadavg()[0]
    process.start()
    seconds, size, growth, peak = queue.get()
    process.join()
    measurement = Measurement(
        seconds=seconds,
        queries=0,
        peak_rss_mb=peak,
        rss_before_mb=peak - growth,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        runs=[seconds],
    )
    return seconds, size, growth, measurement


def send(persons: int, courses: int, per_request: int) -> tuple[float, int, int]:
    """Post the batches to the fake service; (seconds, requests, memberships it received)."""
    from integrated_channels.learningstudio import ims
    from integrated_channels.learningstudio.client import BATCH, LearningStudioClient
    from integrated_channels.learningstudio.models import LearningStudioConfiguration
    from tests.factories import CustomerFactory
    from tests.fakes.learningstudio import FakeLearningStudio

    persons_per_request = max(per_request // courses, 1)
    with FakeLearningStudio(username="bench", password=BENCH_PASSWORD) as fake:
        config = LearningStudioConfiguration.objects.create(
            customer=CustomerFactory(),
            endpoint_url=fake.url,
            sis_username="bench",
            sis_password=BENCH_PASSWORD,
            client_string=SOURCE,
            memberships_per_request=per_request,
        )
        start = time.perf_counter()
        with LearningStudioClient(config) as client:
            for first in range(0, persons, persons_per_request):
                last = min(first + persons_per_request, persons)
                parts = document_parts(first, last, courses)
                body = client.call(
                    BATCH,
                    lambda out, parts=parts: ims.write_document(out, **parts, **client.document_options(WHEN)),
                )
                job_id = client.job_id(body)
                client.job_ids.append(job_id)
                client.record_job(job_id, (last - first) * courses)
        seconds = time.perf_counter() - start
        return seconds, len(fake.requests), len(fake.memberships())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks learningstudio_batch")
    parser.add_argument("--memberships", type=int, default=100_000)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--per-request", type=int, default=5000, help="memberships per ProcessRequest call")
    parser.add_argument("--no-send", action="store_true", help="only build the documents")
    options = parser.parse_args(argv)
    courses = max(options.courses, 1)
    persons = max(options.memberships // courses, 1)
    memberships = persons * courses

    teardown = setup_django()
    try:
        if not same_document(min(persons, 50), courses):
            raise SystemExit("the baseline builds another document than the streamed path")
        _seconds, size, peak, measured = in_child(streamed, persons, courses)
        _baseline_seconds, baseline_size, baseline_peak, baseline = in_child(naive, persons, courses)
        extra = {
            "bytes": size,
            "peak_mb": f"{peak:.1f}",
            "baseline_bytes": baseline_size,
            "baseline_peak_mb": f"{baseline_peak:.1f}",
        }
        table = [
            ("document", f"{size:,} bytes streamed, peak +{peak:.1f} MB"),
            ("whole tree", f"{baseline_size:,} bytes, peak +{baseline_peak:.1f} MB"),
        ]
        if not options.no_send:
            send_seconds, requests, received = send(persons, courses, options.per_request)
            extra.update(send_seconds=f"{send_seconds:.3f}", requests=requests, received=received)
            table.append(("sent to the fake", f"{requests} ProcessRequest calls, {received:,} memberships"))
        report(
            Report(
                name="learningstudio_batch",
                sizes={"memberships": memberships, "persons": persons, "courses": courses},
                rows=memberships,
                measured=measured,
                baseline=baseline,
                extra=extra,
                table=table,
            )
        )
    finally:
        teardown()
    return 0
