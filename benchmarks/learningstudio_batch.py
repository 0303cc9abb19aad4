"""``python -m benchmarks learningstudio_batch --memberships 100000``: LearningStudio batch documents.

Persons enrolled in ``--courses`` courses (memberships / courses persons), as the channel sends a
batch: an IMS Enterprise 1.1 ``enterprise`` document with properties, persons, groups and
memberships grouped by course. Measures, each in a forked child process so that the peak memory of
one does not hide the other's (forked once Django is set up, before the benchmark's database is
created and migrated: a worker sending batches has no migration state in memory):

- the streamed build (``seconds=``, ``cpu_seconds=``): ``ims.write_document`` fed by generators,
  writing the document's text a few KB at a time into a sink that counts and hashes the bytes;
  ``--repeat N`` builds it N times (``seconds=`` the median, ``seconds_min=``);
- the naive baseline (``baseline_seconds=``): the same document built as a whole tree of lxml
  elements (``ims.person_element`` …) in memory, then serialized. Both must give the same bytes:
  the SHA-256 of the two whole documents is compared (``same_document=yes``), else the benchmark stops;
- then the send (``send_seconds=``, in a third child): the same memberships split into
  ProcessRequest calls of ``--per-request`` memberships, each streamed into zeep's envelope
  (WS-Security digest) and posted to the fake service of ``tests/fakes/learningstudio.py``
  (which runs in that child, checks each request and keeps what it received; its memory counts
  in ``send_peak_rss_mb=``).

``peak_rss_mb=`` is the peak resident set of the process that builds the document (Django loaded),
``rss_growth_mb=`` / ``peak_mb=`` how far the build took it (``/proc/self/clear_refs`` resets the
high-water mark), ``baseline_peak_mb=`` the whole tree's growth, ``process_peak_rss_mb=`` the
benchmark's own process (set-up and database, not its children).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import multiprocessing
import statistics
import time
from dataclasses import dataclass

from benchmarks.harness import Measurement, Report, add_repeat_argument, configure_django, report, setup_django

SOURCE = "bench"
WHEN = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
MEMBERS_PER_ELEMENT = 1000
BENCH_PASSWORD = "bench-password"  # noqa: S105 (the fake service's, made up)


class CountingSink:
    """A binary file that keeps nothing: it counts and hashes what is written."""

    def __init__(self):
        self.bytes = 0
        self.sha256 = hashlib.sha256()

    def write(self, data) -> int:
        self.bytes += len(data)
        self.sha256.update(data)
        return len(data)

    def result(self) -> tuple[int, str]:
        return self.bytes, self.sha256.hexdigest()


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


def streamed(persons: int, courses: int, sink=None) -> tuple[int, str]:
    """(bytes, SHA-256) of the document streamed by ``ims.write_document`` (into ``sink``, else counted only)."""
    from integrated_channels.learningstudio import ims

    counting = CountingSink()
    target = counting if sink is None else _Tee(sink, counting)
    ims.write_document(target, **document_parts(0, persons, courses), source=SOURCE, datasource="bench", when=WHEN)
    return counting.result()


class _Tee:
    def __init__(self, *outs):
        self.outs = outs

    def write(self, data) -> int:
        for out in self.outs:
            out.write(data)
        return len(data)


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


def naive(persons: int, courses: int) -> tuple[int, str]:
    document = naive_document(persons, courses)
    return len(document), hashlib.sha256(document).hexdigest()


def same_document(persons: int, courses: int) -> bool:
    """Whether both builders write the same bytes for ``persons`` persons."""
    return streamed(persons, courses) == naive(persons, courses)


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
    start, cpu = time.perf_counter(), time.process_time()
    result = func(*args)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak = _rss_kb("VmHWM")
    from django.db import connections

    connections.close_all()
    queue.put((seconds, cpu, result, max(peak - before, 0) / 1024, peak / 1024))


@dataclass
class ChildRun:
    seconds: float
    cpu_seconds: float
    result: object
    growth_mb: float
    measurement: Measurement


def in_child(func, *args, repeat: int = 1) -> ChildRun:
    """``func(*args)`` run in a forked child (``repeat`` children one after the other): the median run's
    seconds, CPU seconds and result, the highest growth of the resident set, the measurement."""
    import os

    from django.db import connections

    connections.close_all()  # the child opens its own
    context = multiprocessing.get_context("fork")
    load_before = os.getloadavg()[0]
    runs = []
    for _ in range(max(repeat, 1)):
        queue = context.Queue()
        process = context.Process(target=_child, args=(func, args, queue))
        process.start()
        runs.append(queue.get())
        process.join()
    _seconds, cpu, result, _growth, _peak = sorted(runs, key=lambda run: run[0])[(len(runs) - 1) // 2]
    growth, peak = max(run[3] for run in runs), max(run[4] for run in runs)
    measurement = Measurement(
        seconds=statistics.median(run[0] for run in runs),
        queries=0,
        peak_rss_mb=peak,
        rss_before_mb=peak - growth,
        load_before=load_before,
        load_after=os.getloadavg()[0],
        runs=[run[0] for run in runs],
    )
    return ChildRun(measurement.seconds, cpu, result, growth, measurement)


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
    add_repeat_argument(parser)
    options = parser.parse_args(argv)
    courses = max(options.courses, 1)
    persons = max(options.memberships // courses, 1)
    memberships = persons * courses

    configure_django()
    built = in_child(streamed, persons, courses, repeat=options.repeat)
    whole = in_child(naive, persons, courses)
    (size, digest), (baseline_size, baseline_digest) = built.result, whole.result
    if (size, digest) != (baseline_size, baseline_digest):
        raise SystemExit("the baseline builds another document than the streamed path")
    extra = {
        "cpu_seconds": f"{built.cpu_seconds:.3f}",
        "bytes": size,
        "peak_mb": f"{built.growth_mb:.1f}",
        "baseline_bytes": baseline_size,
        "baseline_cpu_seconds": f"{whole.cpu_seconds:.3f}",
        "baseline_peak_mb": f"{whole.growth_mb:.1f}",
        "same_document": "yes",
    }
    table = [
        ("document", f"{size:,} bytes streamed in {built.cpu_seconds:.3f} s CPU, peak +{built.growth_mb:.1f} MB"),
        ("whole tree", f"the same {baseline_size:,} bytes (SHA-256), peak +{whole.growth_mb:.1f} MB"),
    ]
    teardown = setup_django()
    try:
        if not options.no_send:
            sent = in_child(send, persons, courses, options.per_request)
            send_seconds, requests, received = sent.result
            extra.update(
                send_seconds=f"{send_seconds:.3f}",
                send_cpu_seconds=f"{sent.cpu_seconds:.3f}",
                send_peak_rss_mb=f"{sent.measurement.peak_rss_mb:.1f}",
                requests=requests,
                received=received,
            )
            table.append(("sent to the fake", f"{requests} ProcessRequest calls, {received:,} memberships"))
        report(
            Report(
                name="learningstudio_batch",
                sizes={"memberships": memberships, "persons": persons, "courses": courses},
                rows=memberships,
                measured=built.measurement,
                baseline=whole.measurement,
                extra=extra,
                table=table,
            )
        )
    finally:
        teardown()
    return 0
