"""Typed results of the services, and the progress interface commands plug a progress bar into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from integrated_channels.integrated_channel.models import Run

LOCKED = "locked"  # a RunResult status: the run did not start, another one holds the lock


@dataclass
class RunResult:
    configuration_id: int
    customer_name: str
    customer_uuid: str
    channel: str
    kind: str
    status: str  # a Run.Status value, or LOCKED
    run_id: int | None = None
    dry_run: bool = False
    selected: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    not_attempted: int = 0
    remote_calls: int = 0
    learners_unlinked: int = 0
    seconds: float = 0.0
    error: str = ""
    skip_reasons: dict[str, int] = field(default_factory=dict)
    changes_since: str | None = None  # ISO date: only what changed since was considered (None: everything)
    full_selection_reason: str = ""

    @property
    def run_failed(self) -> bool:
        return self.status == Run.Status.FAILED

    @property
    def had_errors(self) -> bool:
        return self.status == Run.Status.COMPLETED_WITH_ERRORS

    def as_dict(self) -> dict:
        """JSON-serialisable form (Celery results)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        return cls(**data)


class Progress:
    """Progress of one run's sending; the default does nothing. Commands subclass it (tqdm)."""

    def start(self, *, total: int, description: str) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self) -> None:
        pass
