"""All models, importable from one place."""

from tracker.models.accounts import USER_ROLES, AuditEntry, FeedToken, User
from tracker.models.attendance import (
    SIGN_IN_SOURCES,
    WALK_IN_STATUSES,
    CheckInThrottle,
    EventInvitation,
    WalkIn,
)
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

__all__ = [
    "AuditEntry",
    "Campaign",
    "Category",
    "CheckInThrottle",
    "DEFAULT_TIMEZONE",
    "EVENT_STATUSES",
    "EVENT_VISIBILITIES",
    "Event",
    "EventInvitation",
    "EventOrganization",
    "FeedToken",
    "Headcount",
    "Location",
    "ORGANIZATION_KINDS",
    "ORGANIZATION_ROLES",
    "Organization",
    "OrganizationInvolvement",
    "PARTICIPATION_ROLES",
    "SIGN_IN_SOURCES",
    "Participation",
    "Person",
    "Stop",
    "USER_ROLES",
    "User",
    "WALK_IN_STATUSES",
    "WalkIn",
    "headcount_by_rule",
    "new_uid",
]
