"""The product data the seed lists: images copied to the CDN storage, instructors and upcoming sessions
with seats and waitlist, language, and the store's Buy-now link — in the read model, the public API
and the Commerce product export (its strict fake checks the images and URL keys as Commerce does)."""

from __future__ import annotations

import base64
import datetime
import hashlib
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from rest_framework.test import APIClient

from enterprise.lms.local import models as lms
from enterprise.models import Price
from integrated_channels.adobe_commerce.client import CommerceClient
from integrated_channels.adobe_commerce.models import AdobeCommerceConfiguration, ExportedProduct
from integrated_channels.adobe_commerce.operations import export_products, url_key_of
from integrated_channels.classroom.models import Registration, Session
from integrated_channels.integrated_channel.models import Run, RunError
from integrated_channels.training_data.models import CatalogEntry, TrainingDataAccessConfiguration
from integrated_channels.training_data.operations import build_catalog
from tests.factories import CustomerFactory, UserFactory
from tests.fakes.commerce import FakeCommerce

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
CDN = "https://cdn.acme.example/catalog/"
PY = "course-v1:Acme+PY101+2027"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


@pytest.fixture
def store():
    with FakeCommerce(open_polls=0) as fake:
        yield fake


@pytest.fixture
def world(db, store):
    customer = CustomerFactory(slug="acme")
    python = lms.Course.objects.create(course_id=PY, title="Python", language="en")
    python.image.save("python.png", ContentFile(PNG))
    lms.Course.objects.create(course_id="course-v1:Acme+FR+2027", title="Français", language="fr")
    Price.objects.create(customer=customer, content_type="course", content_id=PY, amount=Decimal("39"), currency="USD")
    shop = AdobeCommerceConfiguration.objects.create(
        customer=customer,
        name="shop",
        active=True,
        base_url=store.url,
        consumer_key="ck",
        consumer_secret="cs-secret",
        access_token="at",
        access_token_secret="ats-secret",
    )
    site = TrainingDataAccessConfiguration.objects.create(
        customer=customer, name="site", active=True, allowed_origins="https://learn.acme.example", cdn_base_url=CDN
    )
    return customer, python, shop, site


def export(shop):
    return export_products(shop, trigger=Run.Trigger.ADMIN, client=CommerceClient(shop, sleep=lambda s: None))


class TestProductExport:
    def test_the_image_goes_once_with_its_type_and_a_url_key(self, world, store):
        _customer, _python, shop, _site = world
        assert export(shop).sent == 1
        product = store.products[PY]
        [entry] = product["media_gallery_entries"]
        assert base64.b64decode(entry["content"]["base64_encoded_data"]) == PNG
        assert entry["content"]["type"] == "image/png" and entry["content"]["name"].endswith(".png")
        keys = {a["attribute_code"]: a["value"] for a in product["custom_attributes"]}
        assert keys["url_key"] == url_key_of(PY) and keys["url_key"].startswith("course-v1-acme-py101-2027-")
        saved = ExportedProduct.objects.get(sku=PY)
        assert saved.image_sha256 == hashlib.sha256(PNG).hexdigest()

        assert export(shop).sent == 1  # the store has this image: the product is saved without it
        assert "media_gallery_entries" not in store.products[PY]

    def test_skus_that_read_alike_get_distinct_url_keys(self):
        assert url_key_of("course-v1:A+B+1") != url_key_of("course-v1:a-b-1")

    def test_the_fake_refuses_what_commerce_refuses(self, world, store):
        good = {
            "media_type": "image",
            "types": ["image"],
            "content": {"base64_encoded_data": base64.b64encode(PNG).decode(), "type": "image/png", "name": "a.png"},
        }
        assert store.validate_image(good) is None
        for change, message in [
            ({"type": "image/jpeg"}, "not a valid image of its declared type"),
            ({"type": "image/webp"}, "MIME type is not valid"),
            ({"base64_encoded_data": "not base64!"}, "valid base64"),
            ({"name": "../a.png"}, "forbidden characters"),
        ]:
            bad = {**good, "content": {**good["content"], **change}}
            assert message in store.validate_image(bad)
        # a refused image is the product's per-item failure in the run's error report
        _customer, python, shop, _site = world
        python.image.save("fake.png", ContentFile(b"\xff\xd8\xff" + PNG))  # JPEG bytes: sent as JPEG, accepted
        assert export(shop).sent == 1
        store.refuse[PY] = "The image content is not a valid image of its declared type."
        ExportedProduct.objects.all().delete()
        run = export(shop)
        assert RunError.objects.get(run=run).message == store.refuse[PY]


class TestCatalog:
    def test_images_are_copied_to_the_cdn_storage_and_served_under_its_url(self, world):
        _customer, _python, _shop, site = world
        build_catalog(site, trigger=Run.Trigger.ADMIN)
        name = f"catalog-images/{hashlib.sha256(PNG).hexdigest()}.png"
        with default_storage.open(name, "rb") as handle:
            assert handle.read() == PNG
        entry = CatalogEntry.objects.get(content_id=PY)
        assert entry.image_url == CDN + name
        assert CatalogEntry.objects.get(content_id="course-v1:Acme+FR+2027").image_url == ""

    def test_sessions_instructors_language_and_buy_now(self, world, store):
        customer, _python, shop, site = world
        now = timezone.now()
        teacher = UserFactory(username="tina", first_name="Tina", last_name="Tutor", email="tina@acme.example")
        upcoming = Session.objects.create(
            customer=customer,
            course_id=PY,
            title="Live Q&A",
            start=now + datetime.timedelta(days=2),
            end=now + datetime.timedelta(days=2, hours=1),
            capacity=1,
            min_attendance_percent=50,
        )
        upcoming.instructors.add(teacher)
        for username, status in (("a", "registered"), ("b", "waitlisted")):
            Registration.objects.create(session=upcoming, user=UserFactory(username=username), status=status)
        Session.objects.create(  # over: not listed
            customer=customer,
            course_id=PY,
            title="Past",
            start=now - datetime.timedelta(days=2),
            end=now - datetime.timedelta(days=2) + datetime.timedelta(hours=1),
            min_attendance_percent=50,
        )
        export(shop)  # the store has the product now: Buy now
        build_catalog(site, trigger=Run.Trigger.ADMIN)

        answer = APIClient().get("/training-data/api/v1/acme/catalog/", {"language": "en"})
        assert answer.status_code == 200, answer.content
        [item] = answer.json()["results"]
        assert item["language"] == "en"
        assert item["instructors"] == ["Tina Tutor"]
        assert [(s["title"], s["seats"], s["seats_left"], s["waitlisted"]) for s in item["sessions"]] == [
            ("Live Q&A", 1, 0, 1)
        ]
        assert item["buy_url"] == f"{store.url}/{url_key_of(PY)}.html"
        assert item["image_url"].startswith(CDN)
        assert "tina@acme.example" not in answer.content.decode()  # instructors by name only
        assert {f["value"] for f in answer.json()["facets"]["language"]} == {"en"}
        french = CatalogEntry.objects.get(content_id="course-v1:Acme+FR+2027")
        assert (french.language, french.buy_url) == ("fr", "")  # not priced, not in the store

    def test_no_buy_now_before_the_store_has_the_product(self, world):
        _customer, _python, _shop, site = world
        build_catalog(site, trigger=Run.Trigger.ADMIN)
        assert CatalogEntry.objects.get(content_id=PY).buy_url == ""

    def test_a_course_image_must_be_an_image(self, db):
        from django.core.exceptions import ValidationError

        course = lms.Course(course_id="course-v1:X+Y+1", title="X")
        course.image.save("evil.png", ContentFile(b"<svg onload=alert(1)>"), save=False)
        with pytest.raises(ValidationError, match="PNG, JPEG or GIF"):
            course.full_clean()
