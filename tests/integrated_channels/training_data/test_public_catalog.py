"""Training Data Access: the read model build and the public catalog API (search, filters, facets,
paging, ETag, rate limit, CORS, hostile input, nothing about learners)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from enterprise.lms.local import models as lms
from enterprise.models import Price
from integrated_channels.integrated_channel.models import Run
from integrated_channels.training_data.models import CatalogEntry, TrainingDataAccessConfiguration, parse_origins
from integrated_channels.training_data.operations import build_catalog
from tests.factories import CustomerFactory, LearnerFactory, UserFactory

ORIGIN = "https://learn.example.com"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalog(db):
    customer = CustomerFactory(name="Acme", slug="acme")
    python = lms.Course.objects.create(
        course_id="course-v1:Acme+PY101+2027",
        title="Python for analysts",
        description="Pandas, notebooks and plotting",
        effort_hours=Decimal("12"),
    )
    lms.CourseSkill.objects.create(course=python, name="Python")
    lms.CourseSkill.objects.create(course=python, name="Data analysis")
    sql = lms.Course.objects.create(course_id="course-v1:Acme+SQL1+2027", title="SQL basics", effort_hours=Decimal("6"))
    lms.CourseSkill.objects.create(course=sql, name="Data analysis")
    lms.Course.objects.create(course_id="course-v1:Acme+ART+2027", title="Drawing hands")
    program = lms.Program.objects.create(program_id=uuid.uuid4(), title="Data track")
    lms.ProgramCourse.objects.create(program=program, course=python, position=0)
    lms.ProgramCourse.objects.create(program=program, course=sql, position=1)
    Price.objects.create(content_type="course", content_id=python.course_id, amount=Decimal("49.90"), currency="EUR")
    Price.objects.create(
        customer=customer, content_type="course", content_id=python.course_id, amount=Decimal("39"), currency="EUR"
    )
    Price.objects.create(
        content_type="program", content_id=str(program.program_id), amount=Decimal("80"), currency="EUR"
    )
    LearnerFactory(customer=customer, user=UserFactory(username="secret-learner", email="secret@acme.example"))
    connection = TrainingDataAccessConfiguration.objects.create(
        customer=customer, name="site", active=True, allowed_origins=f"{ORIGIN}\nhttp://127.0.0.1:8123"
    )
    build_catalog(connection, trigger=Run.Trigger.ADMIN)
    return customer, connection, program


def url(slug="acme"):
    return f"/training-data/api/v1/{slug}/catalog/"


def get(params=None, **headers):
    return APIClient().get(url(), params or {}, **{f"HTTP_{k.upper()}": v for k, v in headers.items()})


class TestBuild:
    def test_read_model_is_denormalised_with_the_customers_prices(self, catalog):
        python = CatalogEntry.objects.get(content_id="course-v1:Acme+PY101+2027")
        assert python.skills == ["Data analysis", "Python"]
        assert (python.price_amount, python.price_currency) == (Decimal("39"), "EUR")  # the customer's own
        track = CatalogEntry.objects.get(kind="program")
        assert track.course_ids == ["course-v1:Acme+PY101+2027", "course-v1:Acme+SQL1+2027"]
        assert track.duration_hours == Decimal("18") and track.price_amount == Decimal("80")
        run = Run.objects.get()
        assert (run.status, run.selected, run.sent) == (Run.Status.COMPLETED, 4, 4)

    def test_rebuild_costs_the_same_queries_for_ten_times_the_courses(self, catalog):
        customer, connection, _program = catalog
        from django.db import connection as db
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(db) as small:
            build_catalog(connection, trigger=Run.Trigger.ADMIN)
        lms.Course.objects.bulk_create(
            [lms.Course(course_id=f"course-v1:Acme+X{i}+2027", title=f"Extra {i}") for i in range(40)]
        )
        with CaptureQueriesContext(db) as large:
            build_catalog(connection, trigger=Run.Trigger.ADMIN)
        assert len(large) == len(small)
        assert CatalogEntry.objects.filter(customer=customer).count() == 44

    def test_origins_are_checked(self):
        assert parse_origins("https://a.example\n\nhttp://127.0.0.1:8123/") == [
            "https://a.example",
            "http://127.0.0.1:8123",
        ]
        for bad in ("*", "https://*.example.com", "https://a.example/path", "ftp://a.example", "a.example"):
            with pytest.raises(ValidationError):
                parse_origins(bad)


class TestPublicApi:
    def test_lists_without_login_with_facets_and_no_learner_data(self, catalog):
        response = get()
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 4
        assert [item["title"] for item in body["results"]] == [
            "Data track",
            "Drawing hands",
            "Python for analysts",
            "SQL basics",
        ]
        assert {f["value"]: f["count"] for f in body["facets"]["kind"]} == {"course": 3, "program": 1}
        assert body["facets"]["skill"][0] == {"value": "Data analysis", "count": 3}
        python = body["results"][2]
        assert python["price"] == {"amount": "39", "currency": "EUR"}
        text = response.content.decode()
        assert "secret" not in text and "learner" not in text.lower()

    @pytest.mark.parametrize(
        ("params", "titles"),
        [
            ({"q": "pandas"}, ["Python for analysts"]),
            ({"q": "data"}, ["Data track", "Python for analysts", "SQL basics"]),
            ({"q": "python analysts"}, ["Python for analysts"]),
            ({"q": "nothing-like-this"}, []),
            ({"kind": "program"}, ["Data track"]),
            ({"skill": "Python"}, ["Data track", "Python for analysts"]),
            ({"currency": "EUR", "max_price": "50"}, ["Python for analysts"]),
            ({"q": "data", "kind": "course", "skill": "Data analysis"}, ["Python for analysts", "SQL basics"]),
        ],
    )
    def test_search_and_filters(self, catalog, params, titles):
        response = get(params)
        assert response.status_code == 200, response.json()
        assert [item["title"] for item in response.json()["results"]] == titles

    def test_paging(self, catalog):
        first = get({"page_size": 3}).json()
        second = get({"page_size": 3, "page": 2}).json()
        assert first["count"] == second["count"] == 4
        assert len(first["results"]) == 3 and [i["title"] for i in second["results"]] == ["SQL basics"]
        assert get({"page_size": 3, "page": 9}).json()["results"] == []

    @pytest.mark.parametrize(
        "params",
        [
            {"page_size": "100000"},
            {"page_size": "0"},
            {"page": "-1"},
            {"page": "1e9"},
            {"kind": "lesson"},
            {"language": "english; drop table"},
            {"currency": "usd"},
            {"min_price": "abc", "currency": "EUR"},
            {"min_price": "5"},
            {"min_price": "9", "max_price": "1", "currency": "EUR"},
            {"q": "x" * 201},
            {"q": "nul\x00byte"},
            {"filter[kind]": "course"},
            {"order_by": "title; --"},
        ],
    )
    def test_hostile_query_strings_are_400(self, catalog, params):
        response = get(params)
        assert response.status_code == 400
        assert response.json()["errors"]

    @pytest.mark.parametrize("q", ['"', "AND OR NOT", "NEAR(", "title:python*", "a' OR 1=1 --", "*", "(((", "^x"])
    def test_search_syntax_is_never_an_error(self, catalog, q):
        assert get({"q": q}).status_code == 200

    def test_repeated_parameter_is_400(self, catalog):
        assert APIClient().get(url() + "?kind=course&kind=program").status_code == 400

    def test_unknown_customer_or_without_connection_is_404(self, catalog):
        connection = catalog[1]
        CustomerFactory(slug="globex")
        assert APIClient().get(url("globex")).status_code == 404
        connection.active = False
        connection.save()
        assert get().status_code == 404

    def test_etag_and_cache_control(self, catalog):
        connection = catalog[1]
        first = get({"q": "data"})
        assert first["Cache-Control"] == "public, max-age=300"
        etag = first["ETag"]
        again = get({"q": "data"}, if_none_match=etag)
        assert again.status_code == 304 and not again.content
        assert get({"q": "sql"}, if_none_match=etag).status_code == 200
        build_catalog(connection, trigger=Run.Trigger.ADMIN)  # a rebuild changes the tag
        assert get({"q": "data"}, if_none_match=etag).status_code == 200

    def test_a_page_is_served_from_the_cache_until_a_build_replaces_the_read_model(
        self, catalog, django_assert_max_num_queries
    ):
        connection = catalog[1]
        first = get({"q": "data"})
        with django_assert_max_num_queries(0):  # the customer, its origins, the version and the page: cached
            again = get({"q": "data"})
        assert again.json() == first.json()
        lms.Course.objects.filter(course_id="course-v1:Acme+SQL1+2027").update(title="SQL for data people")
        build_catalog(connection, trigger=Run.Trigger.ADMIN)
        titles = [item["title"] for item in get({"q": "data"}).json()["results"]]
        assert "SQL for data people" in titles

    def test_rate_limited_per_client(self, catalog, settings):
        settings.TRAINING_DATA_PUBLIC_RATE = "3/min"
        client = APIClient()
        assert [client.get(url(), REMOTE_ADDR="10.0.0.1").status_code for _ in range(4)] == [200, 200, 200, 429]
        assert client.get(url(), REMOTE_ADDR="10.0.0.2").status_code == 200


class TestCors:
    def test_allowed_origin_reads_and_preflights(self, catalog):
        response = get(origin=ORIGIN)
        assert response["Access-Control-Allow-Origin"] == ORIGIN
        assert "Origin" in response["Vary"]
        preflight = APIClient().options(
            url(),
            HTTP_ORIGIN=ORIGIN,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS="If-None-Match",
        )
        assert preflight.status_code == 204
        assert preflight["Access-Control-Allow-Origin"] == ORIGIN
        assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD"
        assert preflight["Access-Control-Allow-Headers"] == "if-none-match"

    @pytest.mark.parametrize(
        ("origin", "method", "headers"),
        [
            ("https://evil.example", "GET", ""),
            ("https://learn.example.com.evil.example", "GET", ""),
            ("null", "GET", ""),
            (ORIGIN, "POST", ""),
            (ORIGIN, "GET", "Authorization"),
        ],
    )
    def test_other_origins_methods_and_headers_are_refused(self, catalog, origin, method, headers):
        preflight = APIClient().options(
            url(),
            HTTP_ORIGIN=origin,
            HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
            HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
        )
        assert preflight.status_code == 403
        assert "Access-Control-Allow-Origin" not in preflight
        assert "Access-Control-Allow-Origin" not in get(origin="https://evil.example")

    def test_writes_are_refused(self, catalog):
        client = APIClient()
        assert client.post(url(), {}).status_code == 405
        assert client.delete(url()).status_code == 405
