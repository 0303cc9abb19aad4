"""getAbstract: usage from the report_export_*.xlsx feeds on a file drop, summaries' metadata from its API."""
