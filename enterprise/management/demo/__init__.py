"""Demo data for the standalone host: what ``make demo`` loads through ``manage.py seed_demo``.

- ``data``: the fixed part (three customers, ten courses, two programs, e-mail templates);
- ``plans``: what each demo learner and pending learner is, decided by a random generator seeded
  with their number, so the same on every run;
- ``seed``: writes it all with ``bulk_create(ignore_conflicts=True)`` in batches, so running the
  seed again, or again with a larger ``learners``, adds only what is missing.
"""

from enterprise.management.demo.seed import SeedResult, admin_url, seed_demo

__all__ = ["SeedResult", "admin_url", "seed_demo"]
