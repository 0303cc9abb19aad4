"""Big inputs: a 2 GB upload is stopped by the size limit before it is read (bytes read and peak
memory measured), a 1,000,000-row CSV is refused at the row limit while streaming, with bounded
memory. The figures are printed (``-s``) for docs/reliability.md."""

from __future__ import annotations

import tracemalloc

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from enterprise.exceptions import UploadRefused
from enterprise.models import EnterpriseCustomerUser, PendingEnterpriseCustomerUser
from enterprise.services.manage_learners import link_learners_from_csv
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

GB = 1024**3
MB = 1024**2
BOUNDARY = "reliability-boundary"


class LazyBody:
    """A request body of ``total`` bytes made on the fly: a multipart form whose file part is
    repeated CSV lines. Never holds more than one read; counts what the server read and stops
    the test (instead of writing gigabytes to disk) once more than ``guard`` bytes were read."""

    def __init__(self, total: int, *, field: str, fields: dict[str, str], guard: int = 64 * MB):
        parts = "".join(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        self.head = (
            parts + f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.total, self.guard, self.read_bytes = total, guard, 0
        self.line = b"learner@example.com\n"

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self.total - self.read_bytes
        size = min(size, self.total - self.read_bytes, 1 * MB)
        if size <= 0:
            return b""
        if self.read_bytes + size > self.guard:
            raise AssertionError(f"the server read more than {self.guard // MB} MB of the upload")
        out = bytearray()
        position = self.read_bytes
        while len(out) < size:
            if position < len(self.head):
                chunk = self.head[position : position + size - len(out)]
            elif position >= self.total - len(self.tail):
                offset = position - (self.total - len(self.tail))
                chunk = self.tail[offset : offset + size - len(out)]
            else:
                end = min(self.total - len(self.tail), position + size - len(out))
                start = (position - len(self.head)) % len(self.line)
                chunk = (self.line * ((end - position) // len(self.line) + 2))[start : start + end - position]
            out += chunk
            position += len(chunk)
        self.read_bytes = position
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:
        return self.read(size if size and size > 0 else 64 * 1024)


def _post_stream(client: Client, url: str, body: LazyBody, **extra):
    return client.generic(
        "POST",
        url,
        b"",
        **{
            "wsgi.input": body,
            "CONTENT_LENGTH": str(body.total),
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            **extra,
        },
    )


def _measure(call):
    tracemalloc.start()
    try:
        result = call()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.fixture
def customer(db):
    return CustomerFactory(name="Acme", slug="acme")


@pytest.mark.parametrize("total", [2 * GB, 12 * MB], ids=["2GB", "12MB"])
def test_an_oversized_upload_to_manage_learners_is_stopped_early(customer, capsys, total):
    """2 GB: refused from its Content-Length, the file unread; 12 MB (within the allowance for
    other fields): refused when its bytes pass the 10 MB limit."""
    client = Client()
    client.force_login(StaffFactory(username="root"))
    url = reverse("admin:enterprise_enterprisecustomer_manage_learners", args=[customer.pk])
    body = LazyBody(total, field="bulk_upload_csv", fields={"action": "link"})
    response, peak = _measure(lambda: _post_stream(client, url, body))
    assert response.status_code == 200
    assert "The upload is larger than" in response.content.decode()
    assert not EnterpriseCustomerUser.objects.exists() and not PendingEnterpriseCustomerUser.objects.exists()
    assert body.read_bytes < 11 * MB
    with capsys.disabled():
        read, peak_mb = body.read_bytes / MB, peak / MB
        print(f"\nfigure: manage-learners {total / MB:.0f} MB upload: read {read:.2f} MB, peak {peak_mb:.1f} MB")


def test_a_2_gb_upload_to_the_api_is_stopped_early(customer, capsys):
    client = Client()
    token = Token.objects.create(user=StaffFactory(username="root"))
    url = f"/enterprise/api/v1/customers/{customer.uuid}/learners/link/"
    body = LazyBody(2 * GB, field="file", fields={"dry_run": "false"})
    response, peak = _measure(lambda: _post_stream(client, url, body, HTTP_AUTHORIZATION=f"Token {token.key}"))
    assert response.status_code == 413, response.content
    assert response.json()["errors"][0]["code"] == "upload_refused"
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert body.read_bytes < 11 * MB
    with capsys.disabled():
        print(f"\nfigure: API 2 GB upload: read {body.read_bytes / MB:.2f} MB, peak {peak / MB:.1f} MB")


def test_a_million_rows_are_refused_at_the_row_limit_with_bounded_memory(customer, tmp_path, capsys):
    path = tmp_path / "million.csv"
    with path.open("wb") as out:
        for n in range(1_000_000):
            out.write(b"%x@e\n" % n)  # short lines: under the size limit
    size = path.stat().st_size
    assert size < 10 * MB  # under the size limit: the row limit is what refuses it

    def run():
        with path.open("rb") as file, pytest.raises(UploadRefused) as refused:
            link_learners_from_csv(customer=customer, file=file, size=size, dry_run=True)
        return refused.value

    refused, peak = _measure(run)
    assert "more than 100,000 rows" in refused.message and "line 100001" in refused.message
    assert not PendingEnterpriseCustomerUser.objects.exists()
    assert peak < 200 * MB
    with capsys.disabled():
        print(f"\nfigure: 1,000,000-row CSV ({size / MB:.1f} MB): refused at row 100,001, peak {peak / MB:.1f} MB")
