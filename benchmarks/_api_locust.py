"""The locust users of ``python -m benchmarks api``: list, search and small bulk links of one customer."""

import itertools
import os
import random

from locust import FastHttpUser, between, constant, task

CUSTOMER = os.environ["BENCH_API_CUSTOMER"]
TOKEN = os.environ["BENCH_API_TOKEN"]
LEARNERS = int(os.environ["BENCH_API_LEARNERS"])
CUSTOMERS = int(os.environ["BENCH_API_CUSTOMERS"])
THINK = os.environ.get("BENCH_API_THINK", "")  # "LOW-HIGH" seconds between requests, "" for none
_counter = itertools.count()


def _wait_time():
    if not THINK:
        return constant(0)
    low, high = (float(x) for x in THINK.split("-"))
    return between(low, high)


class ApiUser(FastHttpUser):
    wait_time = _wait_time()

    def on_start(self):
        self.headers = {"Authorization": f"Token {TOKEN}"}
        self.base = f"/enterprise/api/v1/customers/{CUSTOMER}/learners/"

    @task(5)
    def list_learners(self):
        self.client.get(self.base + "?page_size=50", headers=self.headers, name="list")

    @task(5)
    def search_learners(self):
        # Learner i belongs to customer i % CUSTOMERS; customer 0 is the one under test.
        i = random.randrange(0, LEARNERS, CUSTOMERS)  # noqa: S311 - load, not security
        self.client.get(self.base + f"?search=bapi{i:07d}", headers=self.headers, name="search")

    @task(int(os.environ.get("BENCH_API_BULK_WEIGHT", "1")))
    def bulk_link(self):
        n = next(_counter)
        emails = [f"bench-{os.getpid()}-{n}-{k}@example.com" for k in range(10)]
        self.client.post(self.base + "link/", json={"emails": emails}, headers=self.headers, name="bulk_link")
