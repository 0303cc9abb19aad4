"""The public catalog's reads (decision 0460): the unfiltered listing from the build's summary and stored
positions, a search or filter with its count and facets in one grouped query, fixed query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from enterprise.lms.local import models as lms
from integrated_channels.integrated_channel.models import Run
from integrated_channels.training_data.models import (
    CatalogEntry,
    CatalogSummary,
    SkillFacet,
    TrainingDataAccessConfiguration,
)
from integrated_channels.training_data.operations import build_catalog
from integrated_channels.training_data.services import FACET_SIZE, catalog_page, count_and_facets
from tests.factories import CustomerFactory

SKILLS = ["Python", "SQL", "Excel", "Writing"]


def reference_facets(entries) -> tuple[int, dict]:
    """The count and facets one query each (as before decision 0460), the skill facet from SkillFacet."""

    def top(rows, field):
        ranked = sorted(((row[field], row["n"]) for row in rows), key=lambda item: (-item[1], item[0]))
        return [{"value": value, "count": n} for value, n in ranked[:FACET_SIZE]]

    skills = SkillFacet.objects.filter(entry__in=entries.values("pk")).values("name").annotate(n=Count("pk"))
    return entries.count(), {
        "kind": top(entries.order_by().values("kind").annotate(n=Count("pk")), "kind"),
        "language": top(entries.exclude(language="").order_by().values("language").annotate(n=Count("pk")), "language"),
        "skill": top(skills.order_by(), "name"),
    }


@pytest.fixture
def built(db):
    customer = CustomerFactory(slug="globex")
    courses = lms.Course.objects.bulk_create(
        [
            lms.Course(
                course_id=f"course-v1:G+C{i:02d}+2027",
                title=f"{'Zeta' if i % 3 else 'alpha'} course {i % 7}",
                description="python basics" if i % 2 else "spreadsheet work",
                language=["en", "fr", ""][i % 3],
            )
            for i in range(30)
        ]
    )
    lms.CourseSkill.objects.bulk_create(
        [lms.CourseSkill(course=c, name=SKILLS[(i + k) % 4]) for i, c in enumerate(courses) for k in range(i % 3)]
    )
    site = TrainingDataAccessConfiguration.objects.create(customer=customer, name="site", active=True)
    build_catalog(site, trigger=Run.Trigger.ADMIN)
    return customer, site


def titles(customer, **params):
    return [(e.title, e.content_id) for e in catalog_page(customer.pk, **params).results]


def test_positions_follow_the_listing_order(built):
    customer, _site = built
    ordered = list(
        CatalogEntry.objects.filter(customer=customer)
        .order_by("title", "content_id")
        .values_list("position", flat=True)
    )
    assert ordered == list(range(1, 31))
    every = [(e.title, e.content_id) for e in CatalogEntry.objects.filter(customer=customer)]
    assert [row for page in range(1, 5) for row in titles(customer, page=page, page_size=8)] == every
    assert titles(customer, page=9, page_size=8) == []


def test_the_summary_holds_the_unfiltered_count_and_facets(built):
    customer, _site = built
    summary = CatalogSummary.objects.get(customer=customer)
    everything = CatalogEntry.objects.filter(customer=customer)
    assert summary.count == 30
    assert summary.facets == reference_facets(everything)[1]
    assert {f["value"]: f["count"] for f in summary.facets["language"]} == {"en": 10, "fr": 10}


@pytest.mark.parametrize(
    "params", [{"q": "python"}, {"language": "fr"}, {"skill": "SQL"}, {"q": "course", "kind": "course"}]
)
def test_grouped_facets_equal_one_query_per_facet(built, params):
    customer, _site = built
    page = catalog_page(customer.pk, **params)
    entries = CatalogEntry.objects.filter(
        pk__in=[e.pk for e in catalog_page(customer.pk, page_size=100, **params).results]
    )
    assert (page.count, page.facets) == reference_facets(entries)
    assert page.count == entries.count() > 0


def test_unfiltered_listing_reads_its_page_only(built):
    customer, _site = built
    with CaptureQueriesContext(connection) as queries:
        page = catalog_page(customer.pk, page=3, page_size=5)
    assert len(queries) == 2  # the summary, the page
    assert page.count == 30 and len(page.results) == 5
    assert "document" not in queries[-1]["sql"]  # only the columns served


@pytest.mark.parametrize("params", [{"q": "python"}, {"language": "fr", "q": "spreadsheet"}, {"skill": "SQL"}])
def test_a_search_or_filter_costs_two_queries(built, params):
    customer, _site = built
    with CaptureQueriesContext(connection) as queries:
        catalog_page(customer.pk, **params)
    # count and facets grouped, then the page; on PostgreSQL a one-word search first looks for the
    # word's stored figures (decision 0511: none for a word this rare)
    one_word = connection.vendor == "postgresql" and set(params) == {"q"}
    assert len(queries) == (3 if one_word else 2)


def test_a_catalog_built_before_summaries_is_read_the_long_way(built):
    customer, _site = built
    CatalogSummary.objects.all().delete()
    CatalogEntry.objects.update(position=None)
    page = catalog_page(customer.pk, page=2, page_size=10)
    assert page.count == 30 and len(page.results) == 10
    assert count_and_facets(CatalogEntry.objects.filter(customer=customer))[1] == page.facets


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the stored tsvector is PostgreSQL's (decision 0495)")
@pytest.mark.parametrize("q", ["python", "spreadsheet work", "zeta 3", "course", "SQL", "nothing-here"])
def test_the_stored_vector_matches_what_the_document_expression_matched(built, q):
    """The search reads the stored ``search_vector`` (migration 0005): the same entries as the expression
    ``to_tsvector('simple', document)`` it replaces, in the same order, with the same count and facets."""
    customer, _site = built
    previous = (
        CatalogEntry.objects.filter(customer=customer)
        .extra(where=["to_tsvector('simple', document) @@ websearch_to_tsquery('simple', %s)"], params=[q])
        .order_by("title", "content_id")
    )
    page = catalog_page(customer.pk, q=q, page_size=100)
    assert [e.pk for e in page.results] == list(previous.values_list("pk", flat=True))
    assert (page.count, page.facets) == count_and_facets(previous)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM training_data_catalogentry"
            " WHERE search_vector IS DISTINCT FROM to_tsvector('simple', document)"
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
def test_the_search_index_is_on_the_stored_vector(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'training_data_catalogentry'")
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("gin (search_vector)" in d for d in definitions)
    assert not any("to_tsvector" in d for d in definitions)  # the expression index is gone


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 (migration 0002)")
def test_sqlite_keeps_its_full_text_triggers(built):
    customer, _site = built
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'training_data_fts_%'")
        assert sorted(row[0] for row in cursor.fetchall()) == [
            "training_data_fts_ad",
            "training_data_fts_ai",
            "training_data_fts_au",
        ]
    assert catalog_page(customer.pk, q="spreadsheet").count == 15


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="term summaries are PostgreSQL's")


@postgresql_only
def test_the_build_stores_the_common_words_searches_and_they_answer_as_counting_does(built, monkeypatch):
    from integrated_channels.training_data import services
    from integrated_channels.training_data.models import CatalogTermSummary
    from integrated_channels.training_data.search import matching

    customer, site = built
    monkeypatch.setattr(services, "TERM_SUMMARY_MIN", 5)
    build_catalog(site, trigger=Run.Trigger.ADMIN)
    entries = CatalogEntry.objects.filter(customer=customer)
    stored = dict(CatalogTermSummary.objects.filter(customer=customer).values_list("term", "count"))
    assert {"python", "spreadsheet", "zeta", "alpha", "course"} <= set(stored)
    assert all(n >= 5 for n in stored.values())
    assert not [word for word in ("basics", "sql", "writing") if stored.get(word, 0) != matching(entries, word).count()]
    for word in ("Python", "spreadsheet", "ZETA", "alpha", "course", "sql", "nothing", "python basics", "C01"):
        page = catalog_page(customer.pk, q=word, page_size=5)
        assert (page.count, page.facets) == count_and_facets(matching(entries, word)), word
        assert [e.content_id for e in page.results] == list(
            matching(entries, word).order_by("title", "content_id").values_list("content_id", flat=True)[:5]
        )
    with CaptureQueriesContext(connection) as queries:
        catalog_page(customer.pk, q="python", page_size=5)
    assert len(queries) == 2  # the stored word, the page: no matching row read for the count
    # another filter counts as before
    page = catalog_page(customer.pk, q="python", language="fr")
    assert (page.count, page.facets) == count_and_facets(matching(entries, "python").filter(language="fr"))


@postgresql_only
def test_a_rebuild_replaces_the_stored_words(built, monkeypatch):
    from integrated_channels.training_data import services
    from integrated_channels.training_data.models import CatalogTermSummary
    from integrated_channels.training_data.search import matching

    customer, site = built
    monkeypatch.setattr(services, "TERM_SUMMARY_MIN", 5)
    build_catalog(site, trigger=Run.Trigger.ADMIN)
    before = dict(CatalogTermSummary.objects.filter(customer=customer).values_list("term", "count"))
    lms.Course.objects.filter(description="python basics").update(description="rust basics")
    build_catalog(site, trigger=Run.Trigger.ADMIN)
    after = dict(CatalogTermSummary.objects.filter(customer=customer).values_list("term", "count"))
    entries = CatalogEntry.objects.filter(customer=customer)
    assert "rust" not in before and after["rust"] == matching(entries, "rust").count() == 15
    # python stays in some skills: fewer entries, or too few to be stored
    assert after.get("python", 0) < before["python"]
    assert catalog_page(customer.pk, q="python").count == matching(entries, "python").count() < before["python"]


def test_without_postgresql_nothing_is_stored_and_searches_count(built):
    from integrated_channels.training_data.models import CatalogTermSummary
    from integrated_channels.training_data.search import matching
    from integrated_channels.training_data.services import stored_term, summarise_terms

    customer, _site = built
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's path")
    assert summarise_terms(customer.pk) == 0
    assert not CatalogTermSummary.objects.exists()
    assert stored_term(customer.pk, "python") is None
    entries = CatalogEntry.objects.filter(customer=customer)
    assert (catalog_page(customer.pk, q="python").count, "python") == (matching(entries, "python").count(), "python")
    assert matching(entries, "python").count() >= 15  # the descriptions' word, and some skills'
