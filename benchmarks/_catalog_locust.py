"""The locust users of ``python -m benchmarks public_catalog``: anonymous visitors listing and searching.

Each visitor keeps the ETag of every URL it read and sends it back (``If-None-Match``) when it asks
again, as a browser revalidating its copy does: a 304 is a success. ``BENCH_CATALOG_THINK``
("LOW-HIGH" seconds, "" for none) is the wait between two requests.
"""

import os
import random

from locust import FastHttpUser, between, constant, task

SLUG = os.environ["BENCH_CATALOG_SLUG"]
WORDS = os.environ["BENCH_CATALOG_WORDS"].split(",")
LIST_PAGES = int(os.environ.get("BENCH_CATALOG_LIST_PAGES", "100"))
SEARCH_PAGES = int(os.environ.get("BENCH_CATALOG_SEARCH_PAGES", "2"))
THINK = os.environ.get("BENCH_CATALOG_THINK", "")


def _wait_time():
    if not THINK:
        return constant(0)
    low, high = (float(x) for x in THINK.split("-"))
    return between(low, high)


class Visitor(FastHttpUser):
    wait_time = _wait_time()

    def on_start(self):
        self.base = f"/training-data/api/v1/{SLUG}/catalog/"
        self.etags: dict[str, str] = {}

    def _get(self, query: str, name: str) -> None:
        url = self.base + query
        headers = {"If-None-Match": self.etags[url]} if url in self.etags else {}
        with self.client.get(url, headers=headers, name=name, catch_response=True) as response:
            if response.status_code == 200:
                self.etags[url] = response.headers.get("ETag", "")
                response.success()
            elif response.status_code == 304:
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(1)
    def list_catalog(self):
        page = random.randint(1, LIST_PAGES)  # noqa: S311 - load, not security
        self._get(f"?page={page}&page_size=20", "list")

    @task(1)
    def search_catalog(self):
        word = random.choice(WORDS)  # noqa: S311
        page = random.randint(1, SEARCH_PAGES)  # noqa: S311
        self._get(f"?q={word}&page={page}&page_size=20", "search")
