"""The locust users of ``python -m benchmarks public_catalog``: anonymous visitors listing and searching."""

import os
import random

from locust import FastHttpUser, constant, task

SLUG = os.environ["BENCH_CATALOG_SLUG"]
WORDS = os.environ["BENCH_CATALOG_WORDS"].split(",")


class Visitor(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.base = f"/training-data/api/v1/{SLUG}/catalog/"

    @task(1)
    def list_catalog(self):
        page = random.randint(1, 50)  # noqa: S311 - load, not security
        self.client.get(self.base + f"?page={page}&page_size=20", name="list")

    @task(1)
    def search_catalog(self):
        word = random.choice(WORDS)  # noqa: S311
        self.client.get(self.base + f"?q={word}&page_size=20", name="search")
