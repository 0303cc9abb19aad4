"""The strict fake SAP SuccessFactors tenant, shipped with the channel for demos too (decision 0301)."""

from integrated_channels.sap_success_factors.local_tenant import (
    COURSES_PATH,
    EVENTS_PATH,
    TOKEN_PATH,
    USER_EVENT_PATH,
    FakeSAPSuccessFactors,
    Received,
    Tenant,
)

__all__ = [
    "COURSES_PATH",
    "EVENTS_PATH",
    "TOKEN_PATH",
    "USER_EVENT_PATH",
    "FakeSAPSuccessFactors",
    "Received",
    "Tenant",
]
