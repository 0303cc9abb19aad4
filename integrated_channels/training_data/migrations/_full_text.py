"""The SQLite full-text statements of 0002, shared with the migrations that rebuild the table."""

import importlib

_initial = importlib.import_module("integrated_channels.training_data.migrations.0002_full_text")
SQLITE_UP = _initial.SQLITE_UP
SQLITE_DOWN = _initial.SQLITE_DOWN
