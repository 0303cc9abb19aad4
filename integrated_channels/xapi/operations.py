"""The xAPI connectors' operations, as the registry declares them (decision 0173): the statement
import's code (the kind of its runs) and its runner; the LRS channel sends learner data (implied by
its exporter)."""

from __future__ import annotations

STATEMENT_IMPORT = "statement_import"  # decision 0071


def import_statements(configuration, *, trigger, start_date=None, api_user=None, run=None):
    from integrated_channels.xapi.services.statement_import import import_statements

    return import_statements(configuration=configuration, trigger=trigger, api_user=api_user, run=run).run
