"""Typed errors of the virtual-classroom app, rooted in one base (STYLE 6)."""


class ClassroomError(Exception):
    """Base of this app's errors."""


class SessionNotOpen(ClassroomError):
    """The session is cancelled or its meeting was deleted: nobody can be registered to it."""


class ProviderError(ClassroomError):
    """The meeting provider refused a request or answered something unexpected (permanent)."""

    def __init__(self, message: str, *, code: str = "", status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class ProviderUnavailable(ProviderError):
    """Transient: the provider is down or throttling; the next run tries again."""


class MeetingDeleted(ProviderError):
    """The provider no longer knows the session's meeting."""


class MeetingNotEnded(ProviderError):
    """The provider has no attendance report yet (the meeting has not ended): retried at the next run."""
