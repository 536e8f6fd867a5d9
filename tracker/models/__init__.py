"""All models, importable from one place."""

from tracker.models.accounts import USER_ROLES, AuditEntry, FeedToken, User
from tracker.models.directory import (
    ORGANIZATION_KINDS,
    Campaign,
    Category,
    Location,
    Organization,
    Person,
)
from tracker.models.events import (
    DEFAULT_TIMEZONE,
    EVENT_STATUSES,
    EVENT_VISIBILITIES,
    ORGANIZATION_ROLES,
    PARTICIPATION_ROLES,
    Event,
    EventOrganization,
    Headcount,
    OrganizationInvolvement,
    Participation,
    Stop,
    headcount_by_rule,
    new_uid,
)
from tracker.models.versions import DataVersionCounter

__all__ = [
    "AuditEntry",
    "Campaign",
    "Category",
    "DataVersionCounter",
    "DEFAULT_TIMEZONE",
    "EVENT_STATUSES",
    "EVENT_VISIBILITIES",
    "Event",
    "EventOrganization",
    "FeedToken",
    "Headcount",
    "Location",
    "ORGANIZATION_KINDS",
    "ORGANIZATION_ROLES",
    "Organization",
    "OrganizationInvolvement",
    "PARTICIPATION_ROLES",
    "Participation",
    "Person",
    "Stop",
    "USER_ROLES",
    "User",
    "headcount_by_rule",
    "new_uid",
]
