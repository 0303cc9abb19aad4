"""A connector written only for the tests: it proves that a new connector needs no edit of the framework.

Installed by the test settings alone (``tests.settings``), it declares a connection model, two
operations and a connection test, in its own package; the framework's schedules, runs, operation
pages, Connectors page and notifications serve it like any other connector. Its "remote" is
``REMOTE`` below, a dict the tests fill: the rows an import reads and what an export wrote.
"""

from __future__ import annotations

REMOTE: dict = {"rows": [], "exported": []}
