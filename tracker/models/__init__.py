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
    AWARD_LEVELS,
    COUNTED_ROLES,
    COUNTED_TOTAL_COLUMNS,
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
    RoleCount,
    Stop,
    headcount_by_rule,
    new_uid,
    role_counts,
)
from tracker.models.media import Attachment, Photo
from tracker.models.occurrences import OCCURRENCE_CHANGE_KINDS, OccurrenceChange, OccurrenceSlot
from tracker.models.search import EventSearchText
from tracker.models.submissions import FormSubmission
from tracker.models.versions import DataVersionCounter

__all__ = [
    "AWARD_LEVELS",
    "Attachment",
    "AuditEntry",
    "COUNTED_ROLES",
    "COUNTED_TOTAL_COLUMNS",
    "Campaign",
    "Category",
    "CheckInThrottle",
    "DataVersionCounter",
    "DEFAULT_TIMEZONE",
    "EVENT_STATUSES",
    "EVENT_VISIBILITIES",
    "Event",
    "EventInvitation",
    "EventOrganization",
    "EventSearchText",
    "FeedToken",
    "FormSubmission",
    "Headcount",
    "Location",
    "OCCURRENCE_CHANGE_KINDS",
    "OccurrenceChange",
    "OccurrenceSlot",
    "ORGANIZATION_KINDS",
    "ORGANIZATION_ROLES",
    "Organization",
    "OrganizationInvolvement",
    "PARTICIPATION_ROLES",
    "SIGN_IN_SOURCES",
    "Participation",
    "Person",
    "Photo",
    "RoleCount",
    "Stop",
    "USER_ROLES",
    "User",
    "WALK_IN_STATUSES",
    "WalkIn",
    "headcount_by_rule",
    "new_uid",
    "role_counts",
]
