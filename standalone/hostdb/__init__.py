"""What the standalone host adds to tables it owns but the enterprise apps do not (decision 0110).

The enterprise apps look users up by e-mail, case-insensitively (bulk links, e-mail searches).
Django's user table has no index for that; this app's migration adds one on ``UPPER(email)``
(PostgreSQL; ``LOWER(email)`` on SQLite, matching ``enterprise.services.user_lookup``). A host
that brings its own user table (Open edX) gets the ``enterprise.W001`` check instead.
"""
