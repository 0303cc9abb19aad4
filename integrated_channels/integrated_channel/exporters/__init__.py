"""Exporters select the records a run may send and format them (pure mapping in each channel).

``learner_data.LearnerDataExporter`` selects enrollments and their completion;
``content_metadata.ContentMetadataExporter`` selects courses. Both work set-based: a bounded
number of queries whatever the number of records, and payload hashes compared in Python.
"""
