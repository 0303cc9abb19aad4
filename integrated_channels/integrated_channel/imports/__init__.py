"""The import pipeline shared by every user-import connector (DESIGN §8, FRAMEWORK point 6).

- ``sources``: ``Source`` (``columns()``, ``rows()`` streamed), CSV files, paged JSON APIs;
- ``mapping``: the customer's learner fields ← source columns, and its checks;
- ``filters``: column conditions and the manager hierarchy;
- ``pipeline.run_user_import``: source → mapping → filters → set-based bulk link in chunks;
- ``attributes``: imported attributes merged in SQL; ``leavers``: people no longer in a source.

See docs/connectors/import-pipeline.md.
"""
