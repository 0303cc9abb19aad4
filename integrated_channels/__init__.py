"""Integrated channels: push learners' completions to customers' own systems."""
