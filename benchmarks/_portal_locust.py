"""The locust users of ``python -m benchmarks portal --enrollments N``: customer administrators
requesting the Reports dashboard and the Learners page of their customer, each signed in with a
session of its own."""

import itertools
import os

from locust import FastHttpUser, between, constant, task

SESSIONS = os.environ["BENCH_PORTAL_SESSIONS"].split(",")  # one administrator's session per user
COOKIE = os.environ["BENCH_PORTAL_COOKIE"]
DASHBOARD = os.environ["BENCH_PORTAL_DASHBOARD"]
LEARNERS = os.environ["BENCH_PORTAL_LEARNERS"]
THINK = os.environ.get("BENCH_PORTAL_THINK", "")  # "LOW-HIGH" seconds between requests, "" for none
_next = itertools.count()


def _wait_time():
    if not THINK:
        return constant(0)
    low, high = (float(x) for x in THINK.split("-"))
    return between(low, high)


class PortalAdministrator(FastHttpUser):
    wait_time = _wait_time()

    def on_start(self):
        self.headers = {"Cookie": f"{COOKIE}={SESSIONS[next(_next) % len(SESSIONS)]}"}

    def _get(self, url, name):
        with self.client.get(url, headers=self.headers, name=name, catch_response=True, allow_redirects=False) as r:
            if r.status_code != 200:  # a redirect to the sign-in page is a failure, not a fast page
                r.failure(f"status {r.status_code}")

    @task
    def dashboard(self):
        self._get(DASHBOARD, "dashboard")

    @task
    def learners(self):
        self._get(LEARNERS, "learners")
