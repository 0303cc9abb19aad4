"""The public catalog API under load: ``python -m benchmarks public_catalog --courses 100000 --clients 50``.

PostgreSQL (DATABASE_URL); gunicorn importable by this interpreter, locust in this virtualenv or
named by ``BENCH_LOCUST`` (requirements/bench.txt). Seeds ``--courses`` local courses (set-based
SQL: titles and descriptions from a vocabulary, two skills each, a third of them priced), builds the
read model with the real ``build_catalog`` (its time is reported), serves the standalone host with
gunicorn on loopback (the API benchmark's harness: ``--workers`` x ``--threads``, one Redis cache
shared by the workers unless ``--cache ''``) and runs locust headless with ``--clients`` anonymous
visitors: list (a random page of 20 among ``--list-pages``) and full-text search (a random word, a
random page among ``--search-pages``); each visitor sends back the ETag it holds for a URL it read
before (a 304 is a success). Two profiles, as ``benchmarks.api``: ``--think-time`` between requests
(default 0.5-1.5 s), then the closed loop (no wait: throughput-bound). Target (issue 20): p95 under
30 ms for list and search, the think-time profile.

Baseline, in the same run: the same requests answered row by row in this process — every entry of
the customer read and matched, filtered, counted and faceted in Python — against ``catalog_page``
(the real query path, no cache), both single-threaded over ``--sample`` requests; ``seconds`` and
``baseline_seconds`` are their totals, ``uncached_list_ms`` and ``uncached_search_ms`` the real path's
mean per request (what a cache miss costs). The load figures are the extra keys ``list_p95_ms``,
``search_p95_ms``, ``p95_ms`` (the worse of the two), ``server_cpu_ms_per_request`` (gunicorn and its
PostgreSQL backends, psutil) and ``load_during_locust``, then the same prefixed ``closed_loop_``.
"""

from __future__ import annotations

import argparse
import random
import time
import urllib.request

from benchmarks.harness import add_load_arguments, load_test_can_run, think_text

WORDS = [
    *("python", "data", "cloud", "security", "leadership", "finance", "design", "sales", "marketing", "agile"),
    *("kubernetes", "excel", "writing", "negotiation", "privacy", "analytics", "statistics", "java", "rust"),
    *("testing", "devops", "linux", "network", "compliance", "coaching"),
]
SLUG = "bench-catalog"
#: the request names of ``_catalog_locust.py``, both targets
NAMES = ("list", "search")


def seed(courses: int):
    from django.db import connection

    from enterprise.lms.local import models as lms
    from enterprise.models import EnterpriseCustomer, Price
    from integrated_channels.training_data.models import TrainingDataAccessConfiguration

    customer = EnterpriseCustomer.objects.create(name="Catalog Bench", slug=SLUG)
    course = lms.Course._meta.db_table
    skill = lms.CourseSkill._meta.db_table
    price = Price._meta.db_table
    words = list(WORDS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {course} (course_id, title, description, pacing, effort_hours, language, image,"  # noqa: S608
            " created, modified)"
            " SELECT 'course-v1:Bench+C' || lpad(i::text, 7, '0') || '+2027',"
            " initcap(w[1 + i %% %s]) || ' ' || initcap(w[1 + (i / 7) %% %s]) || ' ' || i,"
            " 'Learn ' || w[1 + (i / 3) %% %s] || ' and ' || w[1 + (i / 11) %% %s] || ' in practice.',"
            " 'self_paced', 1 + i %% 40, (ARRAY['en','fr','de','es'])[1 + i %% 4], '', now(), now()"
            " FROM generate_series(0, %s) AS i, (SELECT %s::text[] AS w) AS vocabulary",
            [len(words)] * 4 + [courses - 1, words],
        )
        cursor.execute(
            f"INSERT INTO {skill} (course_id, name, level)"  # noqa: S608
            " SELECT c.id, initcap(w[1 + (c.id + k) %% %s]), '' FROM {course} c,"
            " generate_series(0, 1) AS k, (SELECT %s::text[] AS w) AS vocabulary".replace("{course}", course),
            [len(words), words],
        )
        cursor.execute(
            f"INSERT INTO {price} (created, modified, content_type, content_id, amount, currency, customer_id)"  # noqa: S608
            " SELECT now(), now(), 'course', course_id, 10 + id %% 90, 'USD', NULL FROM {course}"
            " WHERE id %% 3 = %s".replace("{course}", course),
            [0],
        )
    connection_row = TrainingDataAccessConfiguration.objects.create(
        customer=customer, name="site", active=True, allowed_origins="https://learn.example.com"
    )
    return customer, connection_row


def existing_seed(courses: int):
    """The customer of a catalog seeded and built before (``--keep-db``), None when there is none."""
    from enterprise.models import EnterpriseCustomer
    from integrated_channels.training_data.models import CatalogEntry

    customer = EnterpriseCustomer.objects.filter(slug=SLUG).first()
    if customer is None:
        return None
    have = CatalogEntry.objects.filter(customer=customer).count()
    if have != courses:
        raise SystemExit(f"the kept database's catalog has {have:,} entries, not {courses:,}: drop bench_<name> first")
    return customer


def naive_page(customer_id, *, q="", page=1, page_size=20) -> dict:
    """Row by row: every entry read, matched and faceted in Python (no index, no SQL aggregation)."""
    from integrated_channels.training_data.models import CatalogEntry

    terms = [t.lower() for t in q.split()]
    matched = []
    for entry in CatalogEntry.objects.filter(customer_id=customer_id).order_by("title", "content_id").iterator():
        text = entry.document.lower()
        if all(term in text for term in terms):
            matched.append(entry)
    facets: dict[str, dict[str, int]] = {"kind": {}, "language": {}, "skill": {}}
    for entry in matched:
        facets["kind"][entry.kind] = facets["kind"].get(entry.kind, 0) + 1
        if entry.language:
            facets["language"][entry.language] = facets["language"].get(entry.language, 0) + 1
        for name in entry.skills:
            facets["skill"][name] = facets["skill"].get(name, 0) + 1
    start = (page - 1) * page_size
    return {"count": len(matched), "results": matched[start : start + page_size], "facets": facets}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks public_catalog")
    parser.add_argument("--courses", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    add_load_arguments(parser, who="visitor", think="0.5-1.5", port=8768)
    parser.add_argument("--list-pages", type=int, default=100, help="the list pages visitors pick from")
    parser.add_argument("--search-pages", type=int, default=2, help="the pages of a search visitors pick from")
    parser.add_argument(
        "--cache",
        default="redis://127.0.0.1:6379/9",
        help="the server's DJANGO_CACHE_URL (shared by the workers); '' for a cache per process",
    )
    parser.add_argument("--sample", type=int, default=10, help="requests of the in-process comparison")
    parser.add_argument(
        "--keep-db",
        action="store_true",
        help="keep bench_<db> afterwards and reuse its catalog when it has this size (seed and build take minutes)",
    )
    args = parser.parse_args(argv)
    if not load_test_can_run(parser, args):
        return 2

    from benchmarks.harness import (
        Report,
        gunicorn,
        load_lines,
        load_pairs,
        measure,
        report,
        run_profiles,
        server_env,
        setup_django,
    )

    teardown = setup_django(keepdb=args.keep_db)
    results = []
    try:
        from django.db import connection

        from integrated_channels.integrated_channel.models import Run
        from integrated_channels.training_data.operations import build_catalog
        from integrated_channels.training_data.services import catalog_page

        kept = existing_seed(args.courses) if args.keep_db else None
        if kept is None:
            started = time.perf_counter()
            customer, site = seed(args.courses)
            seeded = time.perf_counter() - started
            built = measure(build_catalog, site, trigger=Run.Trigger.COMMAND)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
            build_seconds = f"{built.seconds:.1f}"
            print(f"seeded {args.courses:,} courses in {seeded:.0f} s; built the read model in {build_seconds} s")
        else:
            customer, build_seconds = kept, "kept"
            print(f"reusing {connection.settings_dict['NAME']}: {args.courses:,} courses, the read model built before")

        rng = random.Random(20)  # noqa: S311 - a fixed sample, not security
        sample = [
            {"q": rng.choice(WORDS), "page": rng.randint(1, args.search_pages)}
            if n % 2
            else {"page": rng.randint(1, args.list_pages)}
            for n in range(max(args.sample, 2))
        ]
        spent = {"list": [], "search": []}

        def real():
            counts = []
            for params in sample:
                began = time.perf_counter()
                counts.append(catalog_page(customer.pk, page_size=20, **params).count)
                spent["search" if "q" in params else "list"].append(time.perf_counter() - began)
            return counts

        def naive():
            return [naive_page(customer.pk, page_size=20, **params)["count"] for params in sample]

        measured = measure(real)
        baseline = measure(naive)
        if measured.result != baseline.result:
            raise SystemExit(f"the baseline counts differ: {baseline.result} != {measured.result}")

        env = server_env(
            DJANGO_CACHE_URL=args.cache,
            # one address for every visitor here: the per-client limit stays on, above the load's rate
            TRAINING_DATA_PUBLIC_RATE="10000000/min",
            BENCH_CATALOG_SLUG=SLUG,
            BENCH_CATALOG_WORDS=",".join(WORDS),
            BENCH_CATALOG_LIST_PAGES=str(args.list_pages),
            BENCH_CATALOG_SEARCH_PAGES=str(args.search_pages),
        )
        with gunicorn(env, port=args.port, workers=args.workers, threads=args.threads) as server:
            url = f"http://127.0.0.1:{args.port}/training-data/api/v1/{SLUG}/catalog/"
            for n in range(4 * args.workers):  # warm-up: imports, connections (queries the load does not ask)
                urllib.request.urlopen(url + f"?page_size={n + 2}", timeout=30).read()  # noqa: S310
            results = run_profiles(
                server,
                "_catalog_locust.py",
                think_variable="BENCH_CATALOG_THINK",
                think=args.think_time,
                closed_loop=args.closed_loop,
                users=args.clients,
                seconds=args.seconds,
                port=args.port,
                env=env,
            )
    finally:
        teardown()
    extra: dict[str, object] = {
        "clients": args.clients,
        "load_seconds": args.seconds,
        "think_time": think_text(args.think_time),
        "distinct_queries": args.list_pages + len(WORDS) * args.search_pages,
        "cache": "redis" if args.cache else "per-process",
    }
    for prefix, _think, stats in results:
        extra.update(load_pairs(prefix, stats, NAMES, NAMES))
    extra.update(
        {
            "uncached_list_ms": f"{1000 * sum(spent['list']) / max(len(spent['list']), 1):.1f}",
            "uncached_search_ms": f"{1000 * sum(spent['search']) / max(len(spent['search']), 1):.1f}",
            "build_seconds": build_seconds,
            "sample": len(sample),
        }
    )
    table = []
    for _prefix, think, stats in results:
        table += load_lines("closed loop" if think is None else f"think {think[0]}-{think[1]} s", stats, NAMES)
    table.append(("read model build", f"{build_seconds} s"))
    report(
        Report(
            name="public_catalog",
            sizes={"courses": args.courses},
            rows=len(sample),
            measured=measured,
            baseline=baseline,
            extra=extra,
            table=table,
        )
    )
    return 0 if all(stats["Aggregated"]["failures"] == 0 for _p, _t, stats in results) else 1
