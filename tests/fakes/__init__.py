"""Fake remote services speaking the real protocols on 127.0.0.1, for the tests."""
